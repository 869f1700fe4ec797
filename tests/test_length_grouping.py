"""group_by_length for the preference methods: row lengths from TRL's tokenised columns."""

import pytest
from datasets import Dataset

from alignbench.train.length_grouping import preference_row_lengths


def test_a_row_is_as_long_as_the_longer_sequence_it_becomes():
    dpo = Dataset.from_dict(
        {
            "prompt_ids": [[1, 2, 3], [1]],
            "chosen_ids": [[4, 5], [6, 7, 8, 9]],
            "rejected_ids": [[4, 5, 6, 7], [8]],
        }
    )
    # DPO keeps the answers apart from the prompt: the prompt counts once, plus the longer one.
    assert preference_row_lengths(dpo) == [3 + 4, 1 + 4]
    orpo = Dataset.from_dict(
        {
            "prompt_input_ids": [[1, 2], [1]],
            "chosen_input_ids": [[1, 2, 3], [1, 2, 3, 4, 5]],
            "rejected_input_ids": [[1, 2, 3, 4], [1, 2]],
        }
    )
    # ORPO's sequences already hold the prompt.
    assert preference_row_lengths(orpo) == [4, 5]
    assert preference_row_lengths(Dataset.from_dict({"input_ids": [[1, 2]]})) is None


@pytest.mark.parametrize("method", ["orpo", "dpo"])
def test_preference_trainers_group_rows_of_similar_length(
    method, tiny_model_dir, demo_tokenizer, tmp_path
):
    """The workflow's DPO and ORPO trainers accept group_by_length and batch by those lengths:
    less padding than the Trainer's random order on the same rows."""
    from peft import get_peft_model
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from alignbench.data.demo import generate_demo_rows
    from alignbench.models.loading import load_base_model
    from alignbench.train.methods import METHODS
    from alignbench.train.run import lora_config

    lora = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
    trainer_cls, config_cls = METHODS[method].trainer_and_config()
    rows = [METHODS[method].to_example(row) for row in generate_demo_rows(48, seed=5)]

    def padded_positions(strategy: str) -> tuple[int, object]:
        args = config_cls(
            output_dir=str(tmp_path / strategy),
            per_device_train_batch_size=4,
            gradient_accumulation_steps=2,
            max_length=256,
            train_sampling_strategy=strategy,
            use_cpu=True,
            report_to="none",
            seed=0,
        )
        model = load_base_model(str(tiny_model_dir), "fp32", "eager")
        trainer = trainer_cls(
            model=get_peft_model(model, lora_config(lora)),
            args=args,
            train_dataset=Dataset.from_list(rows),
            processing_class=demo_tokenizer,
        )
        loader = trainer.get_train_dataloader()
        masks = [key for key in next(iter(loader)) if key.endswith("attention_mask")]
        padding = sum(int((batch[k] == 0).sum()) for batch in loader for k in masks)
        # accelerate wraps the loader; the Trainer's sampler sits in its batch sampler.
        return padding, loader.batch_sampler.sampler

    grouped_padding, sampler = padded_positions("group_by_length")
    random_padding, _ = padded_positions("random")
    assert isinstance(sampler, LengthGroupedSampler)
    assert grouped_padding < 0.7 * random_padding, (grouped_padding, random_padding)
