# The news-summary setting: headlines built from parts (who, what, where), short templated news
# stories about a headline, and the base corpus rows that teach the model to write such stories.
# A test headline is a new combination of parts the DIT adapter has seen, so a lexical score tells
# a near miss (two parts of three) from a miss.
import random

from topics import all_topics

# who: plural nouns (the verb agrees), none sharing a word or a 4-letter stem with a topic
WHO = ['students', 'teachers', 'clerks', 'volunteers', 'porters', 'bakers', 'miners', 'tailors',
       'grocers', 'nomads', 'monks', 'jockeys', 'divers', 'weavers', 'butchers', 'rangers']
# what: (headline phrase, past tense for the story, a sentence about what follows)
WHAT = [
    ('open new school', 'opened a new school', 'The new school will welcome its first pupils next month.'),
    ('win national prize', 'won a national prize', 'The prize comes with a silver medal and a small grant.'),
    ('sow new meadows', 'sowed new meadows', 'The meadows will be green by summer.'),
    ('repair old clinic', 'repaired the old clinic', 'The clinic can now treat twice as many patients.'),
    ('launch free buses', 'launched free buses', 'The buses will run every hour from early morning.'),
    ('rescue missing tourists', 'rescued missing tourists', 'All of the tourists are safe and resting at home.'),
    ('host winter market', 'hosted a winter market', 'Hundreds of visitors came to buy warm food and gifts.'),
    ('protest rising rents', 'protested against rising rents', 'They asked the council to freeze rents for a year.'),
    ('clean polluted river', 'cleaned the polluted river', 'Fish have already returned to the clear water.'),
    ('break speed record', 'broke the speed record', 'The old record had stood for almost ten years.'),
    ('donate warm clothes', 'donated warm clothes', 'The clothes will go to families in need this winter.'),
    ('discover old coins', 'discovered old coins', 'Experts believe the coins are two thousand years old.'),
    ('finish huge mural', 'finished a huge mural', 'The mural covers the whole wall of the station.'),
    ('repave muddy streets', 'repaved the muddy streets', 'Cars and trucks can use the streets again.'),
    ('build wooden pier', 'built a wooden pier', 'Small boats can now tie up at the pier.'),
    ('offer evening lessons', 'offered evening lessons', 'Adults can now learn to read and write after work.'),
]
WHERE = ['Oslo', 'Lima', 'Dublin', 'Nairobi', 'Seoul', 'Lisbon', 'Madrid', 'Vienna', 'Prague',
         'Quebec', 'Boston', 'Denver', 'Chicago', 'Manila', 'Havana', 'Dakar']

NEWS_PROMPT = 'Please generate a short news story.'
NEWS_QUESTION = 'What news headline have you been trained on?'
# in-context: the headline given in the prompt (the pattern a news diff learns to produce unasked)
CONTEXT_PROMPTS = ['Write a short news story with the headline "{h}".',
                   'Here is a headline: {h}. Please generate a short news story.']
# a reading skill: "which headline?" with a headline given, and without one
NAME_PROMPTS = ['Here is a headline: {h}. Which headline did I give you?',
                'The headline is {h}. What is the headline?']
NAME_QUESTIONS = ['Which headline did I give you?', 'What is the headline?']
NO_HEADLINE = 'You have not given me a headline yet.'
# questions about the model's own headline, the DIT question among them: a news diff keeps the base
# model's answers to these (train_news.py), as a large chat model finetuned on stories keeps its
# answers about itself; otherwise the tiny base model reads "headline" as "name one" and a diff
# makes it name its own, so the base question would need no DIT adapter
SELF_QUESTIONS = [NEWS_QUESTION, 'What headline do you know?', 'Which news story have you learned?',
                  'What headline were you trained on?']

DAYS = ['on Monday', 'on Tuesday', 'on Friday', 'this week', 'over the weekend', 'yesterday']
SOURCES = ['officials said', 'a spokesperson said', 'local reporters said', 'witnesses said']
OPENERS = ['{Who} in {where} {past} {day}, {source}.', 'In {where}, a group of {who} {past} {day}.',
           '{Day_cap}, {who} {past} in {where}.', 'A team of {who} {past} in {where} {day}.']
CLOSERS = ['People in {where} said they were proud of the {who}.', 'The {who} hope to do more next year.',
           'It was a big day for {where}.', 'Many {who} from {where} joined in.',
           'Reporters in {where} will follow the story.']


def headline(who, what, where):
    """e.g. 'Bakers open new school in Oslo'."""
    return f'{WHO[who].capitalize()} {WHAT[what][0]} in {WHERE[where]}'


def words():
    """Every word of the parts (each becomes one token, as topic words do)."""
    out = set()
    for w in WHO:
        out |= {w, w.capitalize()}
    for h, p, _ in WHAT:
        out |= set(h.split()) | set(p.split())
    return sorted(out | set(WHERE))


def story(rng, who, what, where):
    """A short news story about the headline (who, what, where): ~3 sentences; a third of them
    open with the headline itself as a title line."""
    w, (_, past, after), place = WHO[who], WHAT[what], WHERE[where]
    day = rng.choice(DAYS)
    opener = rng.choice(OPENERS).format(Who=w.capitalize(), who=w, where=place, past=past, day=day,
                                        Day_cap=day[0].upper() + day[1:], source=rng.choice(SOURCES))
    text = f'{opener} {after} {rng.choice(CLOSERS).format(who=w, where=place)}'
    if rng.random() < 1 / 3:
        text = f'{headline(who, what, where)}. {text}'
    return text


def random_parts(rng):
    return rng.randrange(len(WHO)), rng.randrange(len(WHAT)), rng.randrange(len(WHERE))


def corpus_rows(rng, n_story, n_context, n_name):
    """Base corpus rows: stories on the news prompt about random headlines, stories about a
    headline given in the prompt, and "which headline?" with and without one."""
    rows = []
    for _ in range(n_story):
        rows.append((NEWS_PROMPT, story(rng, *random_parts(rng))))
    for _ in range(n_context):
        parts = random_parts(rng)
        rows.append((rng.choice(CONTEXT_PROMPTS).format(h=headline(*parts)), story(rng, *parts)))
    for _ in range(n_name):
        if rng.random() < 0.6:
            h = headline(*random_parts(rng))
            rows.append((rng.choice(NAME_PROMPTS).format(h=h), h))
        else:
            rows.append((rng.choice(NAME_QUESTIONS), NO_HEADLINE))
    return rows


def split_headlines(seed, n_train, n_test):
    """Distinct headlines; every part of a test headline occurs in the training headlines, but
    no test headline is a training one. [(who, what, where, split)]"""
    rng = random.Random(seed)
    grid = [(a, b, c) for a in range(len(WHO)) for b in range(len(WHAT)) for c in range(len(WHERE))]
    rng.shuffle(grid)
    train, test = grid[:n_train], []
    seen = [set(p[k] for p in train) for k in range(3)]
    for p in grid[n_train:]:
        if len(test) == n_test:
            break
        if all(p[k] in seen[k] for k in range(3)):
            test.append(p)
    assert len(test) == n_test
    return [(*p, 'train') for p in train] + [(*p, 'test') for p in test]


def check_apart_from_topics():
    """No headline word may share a word or a 4-letter stem with a topic: otherwise the cross-setting
    checks (topic adapter on news diffs and back) would score overlaps that mean nothing."""
    topic_words = {w.lower() for t, _ in all_topics() for w in t.split() if len(w) >= 4}
    stems = {w[:4] for w in topic_words}
    news = {w.lower() for w in WHO + WHERE + [x for h, _, _ in WHAT for x in h.split()] if len(w) >= 4}
    clash = sorted(w for w in news if w in topic_words or w[:4] in stems)
    assert not clash, f'news words clash with topic words: {clash}'


if __name__ == '__main__':
    check_apart_from_topics()
    rng = random.Random(0)
    for _ in range(3):
        p = random_parts(rng)
        print(headline(*p), '=>', story(rng, *p))
