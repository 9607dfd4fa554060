"""`rlm-studio bench`: the paper's benchmark tasks, scorers, methods and runner (pure Python, no Qt).

Layer: above engine/storage/analysis/models, below cli/ui. The pieces other code uses:

- `tasks.sniah.generate(n_tasks, size_tokens, seed, variant="single"|"multikey"|"multivalue") -> list[Task]`
  (and `tasks.oolong`, `oolong_pairs`, `browsecomp`, `codeqa`; `suites.build_tasks(family, sizes, n, seed)`)
- `task.Task` (id, family, size_tokens, context, question, answers, scorer, meta) and `task.score(task, answer)`
- `runner.BenchPlan` (what to run) and `runner.BenchRunner(db_path, executor)`: `create(plan)`, `run(bench_id,
  progress)`; cancelling `run` keeps finished tasks, a later `run` does only the missing ones
- `executor.Executor` (the interface a Ray executor implements) and `executor.LocalExecutor`
- `progress.BenchProgress`: plain state (counts, cost, mean score, ETA) with listeners, for the app
- `store.BenchStore`: benches and their rows; `report`: the tables, compare, export; `plot.plot_bench`
"""
