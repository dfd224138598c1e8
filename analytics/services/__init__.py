from .snapshots import mrr_month_compute, mrr_snapshot_take, mrr_snapshots_backfill

__all__ = ["mrr_month_compute", "mrr_snapshot_take", "mrr_snapshots_backfill"]
