"""A real single-node SLURM (munge, MariaDB, slurmdbd, slurmctld, slurmd) for the cluster tests."""

from .cluster import ClusterError, LocalSlurm, unavailable_reason

__all__ = ["ClusterError", "LocalSlurm", "unavailable_reason"]
