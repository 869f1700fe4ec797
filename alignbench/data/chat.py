"""Conversations to token ids with the model's chat template: one place for every stage.

Length filtering, generation, preference scoring and the cost estimate must see the tokens
training sees, so they all render through these two functions. Training does not call them: TRL
renders its conversational examples (alignbench.data.conversation) itself, with the same
tokenizer and chat template, through ``apply_chat_template``.
"""

from __future__ import annotations


def render_prompt(tokenizer, messages: list[dict]) -> list[int]:
    """The conversation so far plus the assistant's generation prompt: what the model continues."""
    return tokenizer.apply_chat_template(
        messages, tokenize=True, add_generation_prompt=True, return_dict=False
    )


def render_conversation(tokenizer, messages: list[dict]) -> list[int]:
    """A finished conversation, ending in an assistant answer (and its end-of-turn token)."""
    return tokenizer.apply_chat_template(
        messages, tokenize=True, add_generation_prompt=False, return_dict=False
    )
