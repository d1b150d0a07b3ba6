"""Prompts: chat template when there is one, plain text otherwise, recorded template."""

from __future__ import annotations

import pytest

from auditor.core.errors import InputError
from auditor.evaluation.prompts import PromptBuilder
from auditor.models.loading import load_tokenizer


@pytest.fixture(scope="module")
def tokenizer(tiny_llama_dir):  # SmolLM2's tokenizer
    return load_tokenizer(tiny_llama_dir)


@pytest.fixture
def plain_tokenizer(tiny_llama_dir):  # SmolLM2's tokenizer
    tok = load_tokenizer(tiny_llama_dir)
    tok.chat_template = None
    return tok


def fill(template, item):
    o = [opt.text.strip() for opt in item.options]
    return template.format(context=item.context.strip(), question=item.question.strip(),
                           option_a=o[0], option_b=o[1], option_c=o[2])  # fmt: skip


def test_chat_prompt_is_the_recorded_template_filled_in(tokenizer, few_items):
    builder = PromptBuilder(tokenizer)
    item = few_items[0]
    prompt = builder.prompt(item)
    assert builder.style == "chat"
    assert prompt == fill(builder.template, item)
    assert prompt.endswith("<|im_start|>assistant\n")
    for letter, option in zip("ABC", item.options, strict=True):
        assert f"\n{letter}. {option.text.strip()}\n" in prompt
    assert "Answer with the letter" in prompt
    assert builder.completion(item, 1) == f"B. {item.options[1].text.strip()}"
    assert builder.prompt_ids(item) == tokenizer(prompt, add_special_tokens=False)["input_ids"]


def test_letters_tokenize_to_distinct_single_tokens(tokenizer, few_items):
    builder = PromptBuilder(tokenizer)
    ids = builder.letter_ids()
    assert len(set(ids)) == 3
    # Appending the letter to the prompt tokenizes as prompt + that one token.
    item = few_items[0]
    joined = tokenizer(builder.prompt(item) + "A", add_special_tokens=False)["input_ids"]
    assert joined == builder.prompt_ids(item) + [ids[0]]


def test_plain_style_without_chat_template(plain_tokenizer, few_items):
    builder = PromptBuilder(plain_tokenizer)
    item = few_items[3]
    assert builder.style == "plain"
    assert builder.prompt(item).endswith("\nAnswer:")
    assert builder.prompt(item) == fill(builder.template, item)
    assert builder.completion(item, 0).startswith(" A. ")
    plain_ids = builder.letter_ids()
    joined = plain_tokenizer(builder.prompt(item) + " C", add_special_tokens=False)["input_ids"]
    assert joined[-1] == plain_ids[2]


def test_chat_style_on_model_without_template_is_an_input_error(plain_tokenizer):
    with pytest.raises(InputError, match="no chat template"):
        PromptBuilder(plain_tokenizer, style="chat")
    with pytest.raises(InputError, match="prompt style"):
        PromptBuilder(plain_tokenizer, style="fancy")


def test_system_message_and_style_change_the_template(tokenizer):
    default = PromptBuilder(tokenizer).template
    custom = PromptBuilder(tokenizer, system="Be fair.").template
    plain = PromptBuilder(tokenizer, style="plain").template
    assert len({default, custom, plain}) == 3
    assert "Be fair." in custom
