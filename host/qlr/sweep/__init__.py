"""Sweeps: many independent runs executed in this process or on a Dask distributed cluster, with
each finished run persisted as it finishes so an interrupted sweep resumes where it stopped.

    engine  Task, Outcome, SerialEngine (in order, in this process), DaskEngine (a local cluster
            or an existing one), open_engine(workers, cluster)
    store   ResultStore: one JSON file per finished run, written atomically, keyed by the run and
            a fingerprint of everything its result depends on

Nothing here knows what a run computes (`qlr.cl.experiment` and `qlr.cl.device_sweep` do).
"""
