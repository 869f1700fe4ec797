"""Synthetic preference rows in the schema of ``mlabonne/orpo-dpo-mix-40k``.

The workflow's offline default data set: with no Hub access it still needs rows with a
``chosen`` and a ``rejected`` conversation. The rows here are small, checkable tasks (arithmetic,
unit conversion, sorting, word operations, fact look-up, format instructions) so that a tiny
instruct model fine-tuned on about a thousand of them for one epoch has something learnable, and
so that its generations can be scored both by ROUGE against ``chosen`` and by task accuracy with
:func:`alignbench.evaluation.grading.check_answer`.

Each family answers in ONE fixed style in ``chosen`` (a small model learns a consistent style
quickly); ``rejected`` differs only in the final assistant turn and shows a realistic failure: a
plausible wrong answer, an ignored format instruction, or the right answer buried in chatter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# The generator builds one family per checkable task, so that every demo row can be graded.
from alignbench.evaluation.grading import TASK_FAMILIES

# A bound on data.demo.rows: the demo is for minutes-long CPU runs, and beyond this the small
# word lists would make more and more prompts repeat.
MAX_ROWS = 100_000
# Shares of rows with a system message and with earlier turns, so that the chat-template paths
# for both are exercised by every demo run without dominating it.
SYSTEM_SHARE = 0.2
MULTI_TURN_SHARE = 0.2

SYSTEM_PROMPTS = (
    "You are a helpful assistant.",
    "You are a concise assistant. Keep your answers short.",
    "You are a careful tutor who answers precisely.",
    "Answer the user's questions accurately and briefly.",
)
FOLLOW_UP_LEADS = ("", "Thanks! ", "Great. Next one: ", "Another question. ")
FILLER_BEFORE = (
    "Great question!",
    "Sure, I can help with that.",
    "Let me think about this carefully.",
    "This is a classic kind of question.",
    "Happy to help with this one.",
)
FILLER_AFTER = (
    "I hope this helps!",
    "Let me know if you have any other questions.",
    "Feel free to ask if anything is unclear.",
    "Double-checking your work is always a good habit.",
)

ADJECTIVES = (
    "red", "small", "quiet", "bright", "old", "brave", "green", "tall", "lazy", "happy",
    "cold", "shiny", "gentle", "noisy", "young", "dark", "clever", "round", "soft", "wild",
)  # fmt: skip
NOUNS = (
    "fox", "boat", "garden", "teacher", "river", "lamp", "kitten", "window", "farmer", "train",
    "bridge", "pencil", "rabbit", "castle", "baker", "forest", "letter", "doctor", "cloud", "robot",
    "village", "painter", "basket", "mirror", "pilot", "candle", "wagon", "sailor", "tower", "drum",
)  # fmt: skip
VERBS = (
    "sees", "finds", "carries", "paints", "follows", "watches", "visits", "pushes", "likes",
    "draws", "cleans", "greets", "helps", "builds", "hears",
)  # fmt: skip
DETERMINERS = ("the", "a", "my", "our", "every")
ADVERBS = ("today", "again", "quietly", "slowly", "at dawn")

# Word categories for the one-word format task; disjoint so only one item fits the category.
CATEGORIES = {
    "animal": ("tiger", "horse", "eagle", "whale", "zebra", "otter", "camel", "goose"),
    "fruit": ("apple", "mango", "peach", "banana", "cherry", "lemon", "grape", "plum"),
    "tool": ("hammer", "wrench", "shovel", "chisel", "saw", "drill", "pliers", "rake"),
    "piece of furniture": ("chair", "table", "sofa", "desk", "bench", "wardrobe", "stool", "bed"),
}
RELATION_TABLES = {
    "capital of": {
        "France": "Paris", "Japan": "Tokyo", "Italy": "Rome", "Spain": "Madrid",
        "Germany": "Berlin", "Canada": "Ottawa", "Egypt": "Cairo", "Kenya": "Nairobi",
        "Peru": "Lima", "Norway": "Oslo", "Greece": "Athens", "Portugal": "Lisbon",
        "Russia": "Moscow", "China": "Beijing", "India": "New Delhi", "Poland": "Warsaw",
        "Sweden": "Stockholm", "Ireland": "Dublin", "Austria": "Vienna", "Thailand": "Bangkok",
        "Australia": "Canberra", "Argentina": "Buenos Aires", "Turkey": "Ankara",
    },
    # Two-letter symbols only: one-letter ones ("O", "K") collide with ordinary words when checked.
    "chemical symbol for": {
        "gold": "Au", "silver": "Ag", "iron": "Fe", "sodium": "Na", "copper": "Cu",
        "lead": "Pb", "tin": "Sn", "mercury": "Hg", "neon": "Ne", "calcium": "Ca",
        "zinc": "Zn", "magnesium": "Mg", "chlorine": "Cl", "lithium": "Li", "aluminium": "Al",
    },
}  # fmt: skip
FACT_QUESTIONS = {
    "capital of": (
        "What is the capital of {subject}?",
        "Which city is the capital of {subject}?",
        "Name the capital city of {subject}.",
    ),
    "chemical symbol for": (
        "What is the chemical symbol for {subject}?",
        "Which symbol stands for {subject} in the periodic table?",
        "Give the chemical symbol of {subject}.",
    ),
}
# Names and situations in front of fact questions: the table is small, so without them the same
# few prompts would recur and leak between the training and validation splits.
NAMES = (
    "Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira",
    "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
)  # fmt: skip
FACT_LEADS = (
    "My friend {name} is studying for a quiz.",
    "{name} and I are arguing about this.",
    "{name} wants to check an answer.",
    "This came up while {name} was doing homework.",
    "{name} asked me and I was not sure.",
)
ARITHMETIC_PROMPTS = (
    "What is {a} {op} {b}?",
    "Calculate {a} {op} {b}.",
    "What is {a} {word} {b}?",
    "Please work out {a} {word} {b}.",
    "Compute: {a} {op} {b}",
)
OPERATOR_WORDS = {"+": "plus", "-": "minus", "*": "times"}
# (from unit, to unit, factor, a factor people confuse it with)
CONVERSIONS = (
    ("kilometres", "metres", 1000, 100),
    ("metres", "centimetres", 100, 1000),
    ("centimetres", "millimetres", 10, 100),
    ("kilograms", "grams", 1000, 100),
    ("litres", "millilitres", 1000, 100),
    ("hours", "minutes", 60, 100),
    ("minutes", "seconds", 60, 100),
    ("days", "hours", 24, 12),
    ("weeks", "days", 7, 5),
    ("feet", "inches", 12, 10),
    ("years", "months", 12, 10),
)
CONVERSION_PROMPTS = (
    "Convert {value} {source} to {target}.",
    "How many {target} are in {value} {source}?",
    "{value} {source} is how many {target}?",
    "Express {value} {source} in {target}.",
)
SORT_PROMPTS = (
    "Sort these numbers from {order}: {items}.",
    "Put {items} in order from {order}.",
    "Arrange the following from {order}: {items}",
)
COUNT_PROMPTS = (
    'How many words are in the sentence "{sentence}"?',
    'Count the words in: "{sentence}".',
    '"{sentence}" - how many words is that?',
)
REVERSE_PROMPTS = (
    'Reverse the order of the words in "{sentence}".',
    'Write the words of "{sentence}" in reverse order.',
    'Say "{sentence}" backwards, word by word.',
)
CAPITALS_PROMPTS = (
    "Reply in capital letters only: write the phrase '{phrase}'.",
    "Write '{phrase}' in capitals.",
    "Repeat '{phrase}' using only uppercase letters.",
)
ONE_WORD_PROMPTS = (
    "Answer in one word: which of these is {article} {category}: {items}?",
    "In one word only, name the {category} in this list: {items}.",
    "One word, please. Which item is {article} {category}? {items}",
)
NUMBER_ONLY_PROMPTS = (
    "Answer with only the number: what is {a} + {b}?",
    "Give just the number, nothing else. What is {a} plus {b}?",
    "Reply with the number only: {a} + {b} = ?",
)


@dataclass(frozen=True)
class _Task:
    prompt: str
    answer: str
    chosen: str
    wrong: str  # a plausible wrong final answer in the chosen style
    ignored_format: str | None = None  # the right answer that breaks the format asked for


def _off_by(rng: random.Random, value: int, deltas: tuple[int, ...]) -> int:
    return max(1, value + rng.choice(deltas)) if value > 11 else value + rng.choice((1, 2))


def _arithmetic(rng: random.Random) -> _Task:
    op = rng.choice("+-*")
    if op == "*":
        a, b = rng.randint(3, 99), rng.randint(3, 12)
        result, deltas = a * b, (-a, a, -10, 10, -1, 1)
    else:
        a, b = rng.randint(10, 999), rng.randint(10, 999)
        a, b = (max(a, b), min(a, b)) if op == "-" else (a, b)
        b = b - 1 if op == "-" and a == b else b  # keeps the result positive
        result, deltas = (a + b if op == "+" else a - b), (-10, -1, 1, 10)
    prompt = rng.choice(ARITHMETIC_PROMPTS).format(a=a, b=b, op=op, word=OPERATOR_WORDS[op])
    wrong = _off_by(rng, result, deltas)
    return _Task(prompt, str(result), f"{a} {op} {b} = {result}.", f"{a} {op} {b} = {wrong}.")


def _unit_conversion(rng: random.Random) -> _Task:
    source, target, factor, confused = rng.choice(CONVERSIONS)
    value = rng.randint(2, 250)
    prompt = rng.choice(CONVERSION_PROMPTS).format(value=value, source=source, target=target)
    wrong = rng.choice((value * confused, (value + rng.choice((-1, 1))) * factor))
    chosen, wrong_answer = (f"{value} {source} is {n} {target}." for n in (value * factor, wrong))
    return _Task(prompt, str(value * factor), chosen, wrong_answer)


def _sorting(rng: random.Random) -> _Task:
    descending = rng.random() < 0.3
    numbers = rng.sample(range(1, 100), rng.randint(4, 6))
    expected = sorted(numbers, reverse=descending)
    while numbers == expected:  # an already-sorted list would be no task at all
        rng.shuffle(numbers)
    order = "largest to smallest" if descending else "smallest to largest"
    prompt = rng.choice(SORT_PROMPTS).format(order=order, items=", ".join(map(str, numbers)))
    wrong = list(expected)
    mistake = rng.choice(("swap", "drop", "reverse"))
    if mistake == "swap":
        i = rng.randrange(len(wrong) - 1)
        wrong[i], wrong[i + 1] = wrong[i + 1], wrong[i]
    elif mistake == "drop":
        del wrong[rng.randrange(len(wrong))]
    else:
        wrong.reverse()
    answer = ", ".join(map(str, expected))
    return _Task(prompt, answer, f"{answer}.", ", ".join(map(str, wrong)) + ".")


def _sentence(rng: random.Random) -> list[str]:
    words = [rng.choice(DETERMINERS), rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(VERBS)]
    words += [rng.choice(DETERMINERS)]
    words += [rng.choice(ADJECTIVES)] if rng.random() < 0.5 else []
    words += [rng.choice(NOUNS)]
    words += rng.choice(ADVERBS).split() if rng.random() < 0.4 else []
    return words


def _word_ops(rng: random.Random) -> _Task:
    words = _sentence(rng)
    sentence = " ".join(words)
    if rng.random() < 0.5:
        prompt = rng.choice(COUNT_PROMPTS).format(sentence=sentence)
        count, wrong = len(words), len(words) + rng.choice((-1, 1))
        chosen, wrong_answer = (f"The sentence has {n} words." for n in (count, wrong))
        return _Task(prompt, str(count), chosen, wrong_answer)
    prompt = rng.choice(REVERSE_PROMPTS).format(sentence=sentence)
    reversed_words = words[::-1]
    wrong = list(words)  # forgetting to reverse is a common failure
    if rng.random() < 0.5:
        wrong = list(reversed_words)
        i = rng.randrange(len(wrong) - 1)
        wrong[i], wrong[i + 1] = wrong[i + 1], wrong[i]
        if wrong == reversed_words:  # swapping two equal words changes nothing
            wrong = list(words)
    answer = " ".join(reversed_words)
    return _Task(prompt, answer, f"Reversed: {answer}.", f"Reversed: {' '.join(wrong)}.")


def _fact_lookup(rng: random.Random) -> _Task:
    relation = rng.choice(list(RELATION_TABLES))
    table = RELATION_TABLES[relation]
    subject = rng.choice(list(table))
    lead = rng.choice(FACT_LEADS).format(name=rng.choice(NAMES))
    prompt = f"{lead} {rng.choice(FACT_QUESTIONS[relation]).format(subject=subject)}"
    wrong = rng.choice(sorted(set(table.values()) - {table[subject]}))
    chosen, wrong_answer = (f"The {relation} {subject} is {x}." for x in (table[subject], wrong))
    return _Task(prompt, table[subject], chosen, wrong_answer)


def _format(rng: random.Random) -> _Task:
    kind = rng.choice(("capitals", "one_word", "number_only"))
    if kind == "capitals":
        adjective, noun, other_noun = rng.choice(ADJECTIVES), *rng.sample(NOUNS, 2)
        prompt = rng.choice(CAPITALS_PROMPTS).format(phrase=f"{adjective} {noun}")
        answer = f"{adjective} {noun}".upper()
        ignored = f"Sure: {adjective} {noun}."
        return _Task(prompt, answer, answer, f"{adjective} {other_noun}".upper(), ignored)
    if kind == "one_word":
        category, *others = rng.sample(sorted(CATEGORIES), 3)
        target = rng.choice(CATEGORIES[category])
        distractors = [rng.choice(CATEGORIES[other]) for other in others]
        items = [target, *distractors]
        rng.shuffle(items)
        article = "an" if category[0] in "aeiou" else "a"
        prompt = rng.choice(ONE_WORD_PROMPTS).format(
            article=article, category=category, items=", ".join(items)
        )
        ignored = f"The {category} in the list is the {target}."
        return _Task(prompt, target, target, rng.choice(distractors), ignored)
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    prompt = rng.choice(NUMBER_ONLY_PROMPTS).format(a=a, b=b)
    wrong = _off_by(rng, a + b, (-10, -1, 1, 10))
    return _Task(prompt, str(a + b), str(a + b), str(wrong), f"{a} + {b} = {a + b}.")


BUILDERS = {
    "arithmetic": _arithmetic,
    "unit_conversion": _unit_conversion,
    "sorting": _sorting,
    "word_ops": _word_ops,
    "fact_lookup": _fact_lookup,
    "format": _format,
}


def _rejected_answer(rng: random.Random, task: _Task) -> str:
    modes = ["wrong", "chatter"] + (["ignored_format"] if task.ignored_format else [])
    mode = rng.choice(modes)
    if mode == "wrong":
        return task.wrong
    if mode == "ignored_format":
        return str(task.ignored_format)
    core = task.chosen if task.chosen.endswith(".") else f"The answer is {task.chosen}."
    # Verbose but correct: the preference pair then teaches brevity, not just correctness.
    n_filler = rng.randint(2, 4)
    n_before = rng.randint(1, n_filler - 1)
    n_after = n_filler - n_before
    return " ".join(
        [*rng.sample(FILLER_BEFORE, n_before), core, *rng.sample(FILLER_AFTER, n_after)]
    )


def generate_demo_rows(n_rows: int, seed: int) -> list[dict]:
    """Return ``n_rows`` preference rows, identical for identical ``(n_rows, seed)``.

    Families rotate in a freshly shuffled order every ``len(TASK_FAMILIES)`` rows, so every run of
    that many consecutive rows holds each family once. About 20% of rows open with a system
    message and about 20% carry an earlier, correctly answered user turn.
    """
    if not isinstance(n_rows, int) or isinstance(n_rows, bool):
        raise ValueError(f"n_rows must be an integer, got {n_rows!r}")
    if not 0 < n_rows <= MAX_ROWS:
        raise ValueError(f"n_rows must be between 1 and {MAX_ROWS}, got {n_rows}")
    rng = random.Random(seed)
    rows: list[dict] = []
    order: list[str] = []
    for _ in range(n_rows):
        if not order:
            order = rng.sample(TASK_FAMILIES, len(TASK_FAMILIES))
        family = order.pop()
        task = BUILDERS[family](rng)
        shared: list[dict] = []
        if rng.random() < SYSTEM_SHARE:
            shared.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
        prompt = task.prompt
        if rng.random() < MULTI_TURN_SHARE:
            earlier = BUILDERS[rng.choice(TASK_FAMILIES)](rng)
            shared.append({"role": "user", "content": earlier.prompt})
            shared.append({"role": "assistant", "content": earlier.chosen})
            prompt = rng.choice(FOLLOW_UP_LEADS) + prompt
        shared.append({"role": "user", "content": prompt})
        rejected = _rejected_answer(rng, task)
        rows.append(
            {
                "source": f"demo/{family}",
                "prompt": prompt,
                "question": prompt,
                "chosen": [*shared, {"role": "assistant", "content": task.chosen}],
                "rejected": [
                    *(dict(m) for m in shared),
                    {"role": "assistant", "content": rejected},
                ],
                "task": family,
                "answer": task.answer,
            }
        )
    return rows
