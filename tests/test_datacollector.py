"""The weekly record (``sim.datacollector.WeeklyRecord``): which weeks it keeps, and the
summary outcomes on the last week's rows that ``mesa.batch_run`` reports."""

import mesa
import numpy as np
import pytest

from sim.model import TrustModel


def test_mesa_batch_run_rows_of_the_last_week_carry_the_summary_outcomes():
    """A batch_run user gets the run's summary outcomes (time to 50% at full, final
    sustainability, ...) in the last step's rows, equal to ``model.summary()``."""
    rows = mesa.batch_run(TrustModel, {"weeks": 12, "n_families": 50}, rng=[3],
                          number_processes=1, data_collection_period=-1,
                          display_progress=False)
    expected = TrustModel(rng=3, weeks=12, n_families=50).run().summary()
    for name, value in expected.items():
        got = rows[0][name]
        assert got == value or (np.isnan(got) and np.isnan(value)), name
    weekly = TrustModel(rng=3, weeks=12).run().datacollector.get_model_vars_dataframe()
    assert "time_to_50_full" not in weekly.columns  # the weekly record stays weekly


@pytest.mark.parametrize("every", [-1, 0, 1, 2, 5])
def test_next_kept_is_the_first_week_on_that_the_record_keeps(every):
    """run_to_end runs up to ``next_kept`` in one stretch: it must be the first week
    (on from the one asked) that every ``every``-th and the last week rule keeps."""
    model = TrustModel(rng=1, weeks=12, n_families=10, record_every=every)
    record = model.datacollector

    def kept(week: int) -> bool:
        return every == 1 or (every > 1 and week % every == 0) or week >= 12

    for week in range(15):
        assert record.next_kept(model, week) == next(k for k in range(week, 99) if kept(k))
        assert record.keeps(model, week) == kept(week)
