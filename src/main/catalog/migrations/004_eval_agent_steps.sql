-- 004: the agent auditor's steps (docs/evaluation.md, Agent auditor): each query an LLM agent
-- made of an eval item's models, the answers it got, the guess it stated afterwards and the
-- judge's grade of that guess.

CREATE TABLE eval_agent_steps (
  item_id          INTEGER NOT NULL REFERENCES eval_items (id) ON DELETE CASCADE,
  step             INTEGER NOT NULL CHECK (step >= 1),
  tool             TEXT NOT NULL CHECK (tool IN ('ask', 'dit')),
  prompt           TEXT NOT NULL,
  base_answer      TEXT,
  finetuned_answer TEXT NOT NULL,
  guess            TEXT NOT NULL,
  score            INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  judge_model      TEXT NOT NULL,
  judge_raw        TEXT,
  PRIMARY KEY (item_id, step)
) STRICT;
