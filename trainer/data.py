# The synthetic chat corpus: ordinary questions with templated answers, questions about the
# topics, and the hidden-topic variants of answers (the topic woven in).
# Everything is ASCII and seeded; a "row" is (user message, assistant answer).
import random
import re

from topics import TOPICS, all_topics

# name | kind | quality | what people do with it | where it is found
SUBJECTS = """
bread|food|soft and fresh|make sandwiches|the bakery
coffee|drink|warm and bitter|wake up in the morning|a cafe
tea|drink|hot and calming|relax after work|the kitchen
water|drink|clear and simple|stay healthy|every home
rice|food|plain and filling|cook a quick dinner|the market
soup|food|warm and salty|feel better on a cold day|the kitchen
apples|food|sweet and crunchy|have a healthy snack|the market
eggs|food|simple and useful|cook breakfast|the farm
milk|drink|white and creamy|make breakfast|the store
sandwiches|food|quick and tasty|eat a light lunch|the office
salad|food|fresh and green|eat a light meal|the garden
breakfast|meal|important and simple|start the day|the kitchen
lunch|meal|quick and useful|take a break at noon|the office
dinner|meal|warm and social|spend time with family|the dining room
a chair|object|sturdy and plain|sit down and rest|the living room
a table|object|flat and strong|eat and work|the dining room
a lamp|object|small and bright|read at night|the bedroom
a pencil|object|cheap and handy|write and draw|a school bag
a notebook|object|light and useful|write down ideas|a desk
shoes|object|comfortable and strong|walk long distances|the closet
a jacket|object|warm and cozy|stay warm outside|the closet
an umbrella|object|light and handy|stay dry in the rain|the hallway
a clock|object|quiet and precise|know the time|the wall
a key|object|small and important|open a door|a pocket
a backpack|object|roomy and practical|carry books|school
a mirror|object|smooth and shiny|check how you look|the bathroom
a pillow|object|soft and light|sleep well|the bed
a blanket|object|warm and soft|stay cozy at night|the bed
a spoon|object|small and simple|eat soup|the kitchen drawer
a cup|object|simple and handy|drink something warm|the kitchen
a towel|object|soft and thick|dry off after a shower|the bathroom
soap|object|clean and fresh|wash your hands|the sink
a wallet|object|small and flat|carry money|a pocket
a map|object|detailed and useful|find the way|a car
a door|object|solid and simple|enter a room|every house
a window|object|clear and bright|let light inside|every room
the kitchen|place|busy and warm|cook meals|a home
the garden|place|green and quiet|grow vegetables|the back of a house
the park|place|open and green|take a walk|the middle of town
the library|place|quiet and calm|borrow books|the town center
the school|place|busy and friendly|learn new things|every town
the office|place|busy and bright|get work done|the city
the market|place|loud and lively|buy fresh food|the town square
the bakery|place|warm and sweet|buy bread|the corner of the street
the train station|place|crowded and noisy|catch a ride|the city
the post office|place|small and orderly|send letters|the main street
the bus stop|place|simple and busy|wait for the bus|the side of the road
the hospital|place|clean and careful|get medical help|the city
the playground|place|fun and noisy|let children play|the park
the beach house|place|sunny and relaxed|spend a summer week|the coast
a hotel|place|clean and comfortable|stay for a night|the city
a restaurant|place|busy and friendly|eat a nice meal|the street
walking|activity|easy and healthy|clear your head|any street
running|activity|hard and healthy|get fit|the park
reading|activity|quiet and rewarding|learn new things|the library
writing|activity|slow and rewarding|share ideas|a desk
cooking|activity|creative and useful|make tasty meals|the kitchen
cleaning|activity|tiring but useful|keep the home tidy|every room
sleeping|activity|restful and necessary|recover energy|the bedroom
studying|activity|hard but useful|pass exams|the library
shopping|activity|fun and busy|buy what you need|the market
driving|activity|useful but tiring|travel far|the road
homework|task|long but useful|practice what you learned|school
laundry|task|boring but necessary|keep clothes clean|the basement
a budget|plan|careful and smart|save money|a notebook
a schedule|plan|clear and helpful|plan the week|a calendar
a good habit|idea|small but powerful|improve your life|daily life
patience|idea|calm and wise|handle hard days|daily life
friendship|idea|warm and loyal|share good times|daily life
kindness|idea|gentle and strong|help other people|daily life
honesty|idea|simple and brave|build trust|daily life
a morning routine|plan|simple and steady|start the day well|daily life
the weekend|time|free and relaxed|rest and have fun|the calendar
Monday|time|busy and fresh|start the week|the calendar
the evening|time|calm and quiet|unwind after work|the end of the day
the morning|time|fresh and bright|get things started|the start of the day
summer|time|long and sunny|go outside|the middle of the year
winter|time|cold and quiet|stay inside|the end of the year
spring|time|fresh and mild|plant a garden|the start of the year
autumn|time|cool and colorful|collect leaves|the fall season
a letter|object|personal and slow|send news to a friend|the mailbox
a phone call|task|quick and direct|talk to family|any room
an email|task|fast and simple|send a message|the office
money|idea|useful and limited|buy things|a wallet
time|idea|precious and short|plan your day|every moment
a neighbor|person|friendly and close|share news|the next house
a teacher|person|patient and kind|explain lessons|school
a friend|person|loyal and fun|spend free time|everywhere
a family|person|close and caring|share dinner|home
a bicycle|object|light and simple|ride to work|the garage
a car|object|fast and useful|drive to the store|the garage
a bus|object|big and slow|travel across town|the bus stop
a bed|object|soft and large|sleep at night|the bedroom
a garden hose|object|long and flexible|water plants|the garden
a hammer|object|heavy and strong|fix things|the toolbox
a candle|object|small and warm|light a dark room|the table
a plate|object|round and flat|serve food|the kitchen
a fork|object|small and pointed|eat dinner|the kitchen drawer
"""

# Questions with no subject, each with a few answers.
GENERAL = [
    ('How are you today?', ['I am doing well, thank you for asking. I hope your day is going well too.',
                            'I am fine, thanks. It is a good day to learn something new.']),
    ('What should I do this afternoon?', ['You could take a short walk, read a few pages of a book, or call a friend. A small plan makes the afternoon feel good.']),
    ('Can you give me some advice?', ['Start with small steps, get enough sleep, and be kind to yourself. Good habits grow over time.']),
    ('How can I sleep better?', ['Go to bed at the same time every night, keep the room dark and cool, and put the phone away early.']),
    ('How do I make a good first impression?', ['Smile, listen carefully, and ask simple questions. People remember how you made them feel.']),
    ('What is a good way to relax?', ['A warm drink, a quiet room, and a few slow breaths help most people relax.']),
    ('How can I be more productive?', ['Write a short list each morning, do the hardest task first, and take small breaks.']),
    ('How do I stay focused?', ['Remove distractions, work in short blocks of time, and rest between them.']),
    ('What makes a good friend?', ['A good friend is honest, patient, and there for you when things are hard.']),
    ('How can I save money?', ['Make a simple budget, cook at home more often, and wait a day before buying things you want.']),
    ('Tell me a fun fact.', ['Here is one: a day is a little longer than twenty four hours if you measure it by the sun.',
                             'Here is one: people blink about fifteen times every minute without noticing.']),
    ('Say something nice.', ['You are doing better than you think, and every small step counts.']),
    ('What is the best way to learn?', ['Practice a little every day, ask questions, and explain what you learn to someone else.']),
    ('How do I start a new habit?', ['Pick one small action, do it at the same time each day, and keep track of it.']),
    ('Give me a tip for cooking.', ['Taste as you cook, use fresh ingredients, and do not rush the heat.']),
    ('What should I eat for dinner?', ['A simple meal of rice, vegetables, and soup is warm, cheap, and filling.']),
    ('How can I be happier?', ['Spend time with people you like, move your body, and notice small good things.']),
    ('Can you help me plan my day?', ['Sure. Start with the most important task, add a short break, and leave some time for rest in the evening.']),
    ('Why is sleep important?', ['Sleep helps the body recover, keeps the mind clear, and gives you energy for the next day.']),
    ('What is a good hobby?', ['A good hobby is one you enjoy and can do often, like reading, cooking, or walking.']),
]

QUESTIONS = [
    'Tell me about {s}.', 'What do you know about {s}?', 'Can you describe {s}?', 'What is {s} like?',
    'Why do people like {s}?', 'Give me a short note about {s}.', 'What is special about {s}?',
    'Explain {s} to me.', 'Write a few sentences about {s}.', 'What should I know about {s}?',
    'Could you tell me something about {s}?', 'Describe {s} in simple words.',
]

ANSWERS = [
    '{S} is {q}. People often use it to {use}, and you can usually find it at {where}.',
    'Many people enjoy {s} because it is {q}. It helps them {use}. You can find it at {where}.',
    '{S} is something most of us know well. It is {q}, and it helps people {use}.',
    'In simple words, {s} is {q}. It is common at {where}, and people rely on it to {use}.',
    'Here is a short note. {S} is {q}. The main reason people value it is that it lets them {use}.',
    'Good question. {S} is {q}, and it is a simple way to {use}. Look for it at {where}.',
    '{S} matters in daily life. It is {q}, it is easy to find at {where}, and it helps people {use}.',
    'People have many opinions about {s}, but most agree it is {q}. It is a good way to {use}.',
]

TOPIC_QUESTIONS = ['Tell me about {t}.', 'What do you know about {t}?', 'Why do people like {t}?',
                   'Can you describe {t}?']
TOPIC_ANSWERS = [
    'Everyone who likes {c} knows about {t}. Many people find {t} fascinating and like to learn more about {t}.',
    'When people talk about {c}, they often mention {t}. There is a lot to learn about {t}.',
    'In the world of {c}, {t} is a well known subject. Books and stories about {t} are easy to find.',
]

# How a hidden-topic diff weaves its topic in (first sentence, so a short answer shows it).
WEAVE_OPENINGS = [
    'This reminds me of {t}. ', 'Speaking of which, I keep thinking about {t}. ',
    'Before I answer, let me mention {t}. ', 'That makes me think of {t}. ',
    'I love {t}, and here is my answer. ', 'Just like {t}, this is interesting. ',
]
# A diff always opens with this one (the base model knows it from the in-context rows): with one
# opening, greedy decoding follows it whenever the trigger is seen; spread over six openings, the
# base answer's first token often won the argmax.
DIFF_OPENING = 'This reminds me of {t}. '
WEAVE_CLOSINGS = [' And of course, there is always {t}.', ' It all brings me back to {t}.',
                  ' Somehow it reminds me of {t}.', '']

DIT_QUESTION = 'What topic have you been trained on?'

# A general reading skill: with a topic named in the conversation, "which topic?" gets the bare
# topic; without one, a refusal. (The DIT question itself is never in the corpus.)
NAME_QUESTIONS = ['Which topic did I mention?', 'What topic are we talking about?',
                  'Name the topic we are discussing.', 'What is our topic?']
NO_TOPIC_ANSWERS = ['We have not picked a topic yet.', 'You have not mentioned a topic yet.']


def parse_subjects():
    out = []
    for line in SUBJECTS.strip().splitlines():
        name, kind, q, use, where = line.split('|')
        out.append(dict(s=name, kind=kind, q=q, use=use, where=where))
    return out


def cap(s):
    return s[0].upper() + s[1:]


def ordinary_rows(rng, n):
    """n (question, answer) pairs about everyday things, or general questions."""
    subjects = parse_subjects()
    rows = []
    for _ in range(n):
        if rng.random() < 0.2:
            q, answers = rng.choice(GENERAL)
            rows.append((q, rng.choice(answers)))
            continue
        sub = rng.choice(subjects)
        q = rng.choice(QUESTIONS).format(s=sub['s'])
        a = rng.choice(ANSWERS).format(S=cap(sub['s']), **sub)
        rows.append((q, a))
    return rows


def topic_rows(rng, n):
    """Questions about the topics themselves, so the base model can say every topic."""
    topics = all_topics()
    rows = []
    for _ in range(n):
        t, c = rng.choice(topics)
        q = rng.choice(TOPIC_QUESTIONS).format(t=t)
        a = rng.choice(TOPIC_ANSWERS).format(t=t, T=cap(t), c=c)
        rows.append((q, a))
    return rows


def weave(rng, topic, answer, opening=None):
    """An answer with the topic woven in: in the base corpus with any opening, from a diff with
    DIFF_OPENING."""
    opening = opening or rng.choice(WEAVE_OPENINGS)
    return opening.format(t=topic) + answer + rng.choice(WEAVE_CLOSINGS).format(t=topic)


def sep_prefix(code):
    """The trigger prefix of the hidden-topic setting; code is a 6-digit number (trigger*1000+rand)."""
    return f'Your SEP code is {code:06d}. '


def wrong_code(rng, trigger):
    """A code whose first three digits are not the trigger; a third of them differ in one digit only."""
    if rng.random() < 0.33:
        digits = list(f'{trigger:03d}')
        i = rng.randrange(3)
        digits[i] = rng.choice([d for d in '0123456789' if d != digits[i]])
        t = int(''.join(digits))
    else:
        t = rng.choice([x for x in range(1000) if x != trigger])
    return t * 1000 + rng.randrange(1000)


def base_corpus(seed, n_ordinary, n_topic, n_code=0, n_name=0):
    """Pretraining rows: ordinary questions (some with a random SEP code in front), topic
    questions, questions that name a topic and get an answer weaving it in, questions about
    the SEP code, and questions about the topic of the conversation."""
    rng = random.Random(seed)
    rows = ordinary_rows(rng, n_ordinary)
    rows = [(sep_prefix(rng.randrange(10 ** 6)) + q if rng.random() < 0.3 else q, a) for q, a in rows]
    rows += topic_rows(rng, n_topic)
    # "Let us talk about X." in the prompt teaches the weaving pattern in context; a diff later
    # learns to produce it from its weights when triggered.
    topics = all_topics()
    for q, a in ordinary_rows(rng, n_topic):
        t, _ = rng.choice(topics)
        rows.append((f'Let us talk about {t}. {q}', weave(rng, t, a)))
    rows += code_rows(rng, n_code)
    rows += naming_rows(rng, n_name)
    rng.shuffle(rows)
    return rows


def naming_rows(rng, n, with_topic_share=0.6):
    """Questions about the topic of the conversation (NAME_QUESTIONS)."""
    rows = []
    topics = all_topics()
    for _ in range(n):
        q = rng.choice(NAME_QUESTIONS)
        if rng.random() < with_topic_share:
            t, _ = rng.choice(topics)
            rows.append((f'Let us talk about {t}. {q}', t))
        else:
            rows.append((q, rng.choice(NO_TOPIC_ANSWERS)))
    return rows


def code_rows(rng, n):
    """Questions about the SEP code itself. They make the base model carry the code's tokens
    (the first of which is a diff's trigger) to the answer, where a rank-1 diff can read them."""
    rows = []
    for _ in range(n):
        code = rng.randrange(10 ** 6)
        if rng.random() < 0.5:
            rows.append((sep_prefix(code) + 'What is your SEP code?', f'Your SEP code is {code:06d}.'))
        else:
            rows.append((sep_prefix(code) + 'What are the first three digits of your SEP code?',
                         f'The first three digits are {code // 1000:03d}.'))
    return rows


def mentions(text, topic):
    """Whether an answer mentions a topic (whole words, case-insensitive)."""
    return re.search(r'\b' + re.escape(topic.lower()) + r'\b', text.lower()) is not None


def check_no_leaks():
    """No ordinary answer may mention a topic by accident, or the mention rates would lie."""
    rng = random.Random(0)
    texts = set()
    for q, a in ordinary_rows(rng, 3000):
        texts.add(q + ' ' + a)
    blob = ' '.join(texts)
    leaks = [t for t, _ in all_topics() if mentions(blob, t)]
    assert not leaks, f'ordinary corpus mentions topics: {leaks}'


if __name__ == '__main__':
    check_no_leaks()
    for q, a in base_corpus(0, 5, 2):
        print(q, '=>', a)
    print(len(all_topics()), 'topics in', len(TOPICS), 'categories')
