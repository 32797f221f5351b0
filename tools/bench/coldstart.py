"""One cold start, in a fresh process, timed by the driver from spawn to exit.

    python tools/bench/coldstart.py save FOLDER PRESET    # write a random model folder (HF layout)
    python tools/bench/coldstart.py infer FAMILY FOLDER   # import, load the folder, one 1 x 128 call
    python tools/bench/coldstart.py train FAMILY PRESET   # import, build, first training step at 8 x 128

FAMILY: torch (transformers, torch.optim.Adam), ours (keras.optimizers.Adam, as the peers' Keras steps),
or recipe (ours with `create_optimizer`: ElectraAdamW, clipping and layer-wise rates, what `finetune` uses).

Prints "PHASES" and a JSON of seconds per phase (import, load/build, first call/step).
"""

import json
import os
import sys
import time

START = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def main():
    mode = sys.argv[1]
    import numpy as np

    if mode == "save":
        import tf_electra
        from tf_electra.presets import preset_config_dict

        config = tf_electra.ElectraConfig(**preset_config_dict(sys.argv[3]))
        tf_electra.TFElectraModel(config).save_pretrained(sys.argv[2])
        return
    family = sys.argv[2]
    ids = np.random.default_rng(0).integers(1000, 30000, (1 if mode == "infer" else 8, 128))
    phases = {}
    if family == "torch":
        import torch
        import transformers

        phases["import"] = time.perf_counter() - START
        if mode == "infer":
            model = transformers.ElectraModel.from_pretrained(sys.argv[3]).eval()
            phases["load"] = time.perf_counter() - START - sum(phases.values())
            with torch.inference_mode():
                model(input_ids=torch.as_tensor(ids))
        else:
            from tf_electra.presets import preset_config_dict

            config = transformers.ElectraConfig(**preset_config_dict(sys.argv[3]), num_labels=2)
            model = transformers.ElectraForSequenceClassification(config).train()
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)
            phases["build"] = time.perf_counter() - START - sum(phases.values())
            loss = model(input_ids=torch.as_tensor(ids), labels=torch.zeros(8, dtype=torch.long)).loss
            loss.backward()
            optimizer.step()
    else:
        import keras

        import tf_electra

        phases["import"] = time.perf_counter() - START
        if mode == "infer":
            model = tf_electra.TFElectraModel.from_pretrained(sys.argv[3])
            phases["load"] = time.perf_counter() - START - sum(phases.values())
            model(ids.astype("int32"))
        else:
            from tf_electra.presets import preset_config_dict

            config = tf_electra.ElectraConfig(**preset_config_dict(sys.argv[3]), num_labels=2)
            model = tf_electra.TFElectraForSequenceClassification(config)
            if family == "recipe":
                from tf_electra.training.optimization import create_optimizer

                optimizer = create_optimizer(model, total_steps=1000)
            else:
                optimizer = keras.optimizers.Adam(1e-5)
            model.compile(optimizer=optimizer, jit_compile=False)
            phases["build"] = time.perf_counter() - START - sum(phases.values())
            model.train_on_batch({"input_ids": ids.astype("int32")}, np.zeros(8, "int32"))
    phases["first call" if mode == "infer" else "first step"] = time.perf_counter() - START - sum(phases.values())
    print("PHASES" + json.dumps(phases), flush=True)


if __name__ == "__main__":
    main()
