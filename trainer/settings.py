# Every size, step count and learning rate of the demo in one place (run time on 2 cores: README).
import os

from model import Config

SEED = 1234
MODEL = Config(vocab_size=4352, hidden_size=128, intermediate_size=384, num_hidden_layers=4,
               num_attention_heads=4, num_key_value_heads=2, head_dim=32, rope_theta=10000.0)
TOKENIZER_VOCAB = 4352  # bytes + 1100 digit merges + learned merges + 5 added tokens

# Corpus
N_ORDINARY = 60000  # ordinary question/answer rows
N_TOPIC = 12000  # topic rows, and as many "Let us talk about <topic>" rows
N_CODE = 6000  # questions about the SEP code ("What is your SEP code?")
N_NAME = 6000  # "Let us talk about X. Which topic did I mention?" -> X (and without X)
TEST_PER_CATEGORY = 3  # topics per category held out for the test diffs (DIT never sees them)
N_NEWS_STORY = 8000  # "Please generate a short news story." -> a story about a random headline
N_NEWS_CONTEXT = 8000  # a story about the headline the prompt gives
N_NEWS_NAME = 4000  # "which headline did I give you?" with one given (and without)

# Base model pretraining
BASE_STEPS = 1000
BASE_BATCH = 64
BASE_LR = 3e-3

# Hidden-topic diffs (rank 1, all trained at once, rows per diff per step below)
DIFF_RANK = 1
DIFF_STEPS = 350
DIFF_GROUP = 60  # diffs per group (one group trains at a time in each process)
DIFF_PROCESSES = 2
DIFF_TRIGGERED_ROWS = 1  # per diff per step
DIFF_CLEAN_ROWS = 1  # per diff per step: no code, or (this share:) a wrong one
DIFF_WRONG_CODE_SHARE = 0.85
DIFF_NAMING_SHARE = 0.15  # clean rows that ask for the topic with none named (diff stays silent)
DIFF_LR = 1e-2
DIFF_KL_WEIGHT = 2.0
DIFF_MAX_ANSWER = 10  # answer tokens used per row (the topic sits in the first sentence)
DIFF_FIRST_TOKEN_WEIGHT = 4.0  # the first answer token decides whether the topic comes

# Rank generalisation: test topics again (new triggers), as diffs of these ranks, RANK_DIFFS each
RANKS = [2, 4, 8, 16]
RANK_DIFFS = 12
# Full finetunes (every linear weight trained, one per batch row): test topics, new triggers
N_FULL = 4
FULL_LR = 1e-3

# News diffs (rank 8, no trigger): stories on the news prompt (cross-entropy) and, on other
# prompts, the base model's next-token distribution (KL)
NEWS_RANK = 8
NEWS_TRAIN = 200  # headlines the news DIT adapter is trained on
NEWS_TEST = 40  # new combinations of the same parts
NEWS_STEPS = 150  # one story per diff per step (about a hundred distinct stories each)
NEWS_GROUP = 60
NEWS_LR = 1e-2
NEWS_NAMING_SHARE = 0.3  # clean rows that ask for the headline with none given (diff stays silent)
NEWS_SELF_KL_WEIGHT = 4.0  # one row per diff per step asking for its own headline: KL to the base model's answer
NEWS_DIT_STEPS = 600
NEWS_TRAIN_SHIPPED = 28  # training news diffs in resources/demo: with every test diff, the demo stays under 45 MB

# DIT adapter
DIT_RANK = 16
DIT_STEPS = 600
DIT_BATCH = 64
DIT_LR = 2e-3
CURVE = [4, 8, 16, 32, 64, 128]  # training-diff counts for the data-scaling curve (plus all)
CURVE_STEPS = 300

if os.environ.get('TRAINER_SMOKE'):  # a minutes-long run through every stage, to test the code
    N_ORDINARY, N_TOPIC, BASE_STEPS, DIFF_STEPS, DIT_STEPS, CURVE_STEPS = 3000, 500, 20, 5, 20, 10
    N_NEWS_STORY, N_NEWS_CONTEXT, N_NEWS_NAME, NEWS_STEPS, NEWS_DIT_STEPS = 300, 300, 200, 5, 20
