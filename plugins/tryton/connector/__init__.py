"""The Tryton connector: `python -m plugins.tryton.connector` (settings: `GT_TRYTON_*`, see config.py).

Three loops, each resumable and each retrying on its own when Tryton or Groundtruth is away:
- `inbound`: parties, e-mail contact mechanisms, opportunities, deletions and logins changed in
  Tryton since the stored watermarks → CRM events through the plugin client;
- `outbound`: the write-back feed → `groundtruth.activity` records in Tryton, acked after Tryton
  committed them;
- `scores`: every rep's score from Groundtruth → `groundtruth.rep_score`, shown on the employee.
"""
