# Stage 4c: full finetunes of the base model in the hidden-topic setting: every linear weight of
# every layer trained (not a low-rank diff), with the same rows and losses as the hidden-topic
# diffs (the topic woven in behind the trigger; KL to the base model otherwise), one finetune per
# batch row. Test topics with new triggers: the DIT adapter never saw them. Writes work/full.pt
# (the weight changes; export.py writes the finetuned weights in the released layout).
import torch

import settings as S
from common import stage, load_json, setup, work
from lora import FullBank
from tokenizer import Tokenizer
from train_diffs import RowMaker, load_base, train_group


def main():
    setup(S.SEED + 500)
    tok = Tokenizer.load(work('tokenizer.json'))
    model = load_base()
    specs = load_json(work('corpus.json'))['full_finetunes']
    bank = FullBank(model.cfg, len(specs))
    maker = RowMaker(tok, S.SEED + 501)
    deltas = train_group(model, specs, maker, tok.id('<|endoftext|>'), 'full finetunes', bank=bank, peak_lr=S.FULL_LR)
    torch.save([dict(d, delta=w) for d, w in zip(specs, deltas)], work('full.pt'))


if __name__ == '__main__':
    with stage('full-finetunes'):
        main()
