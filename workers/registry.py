"""Imports every module that declares jobs, so a worker knows them all."""

from baton.platform.areas import load_jobs

load_jobs()
