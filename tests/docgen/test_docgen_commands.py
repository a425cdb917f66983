"""The trustsim commands quoted in README.md and docs/*.md parse, name files that exist,
read folders written above them, and are not refused for writing into a full folder."""

from pathlib import Path

from sim.docgen.commands import check_all, check_page, commands_in

ROOT = Path(__file__).resolve().parents[2]

# README's quick tour as it stood before the README became a front door (commit 0203471):
# make demo writes results/covid_pivot, so the second run into it was refused.
OLD_TOUR = """
```console
$ make demo                                  # sets up .venv, runs scenarios/covid_pivot.yaml
$ .venv/bin/trustsim list                    # shipped scenarios and interaction types
$ .venv/bin/trustsim validate scenarios/*.yaml
$ .venv/bin/trustsim run scenarios/covid_pivot.yaml
$ .venv/bin/trustsim run scenarios/high_turnover.yaml --replicates 40 --seed 7 --workers 2 \\
      --out results/turnover_seed7
$ .venv/bin/trustsim plot results/covid_pivot     # redraw the figures from saved results
$ .venv/bin/trustsim rerun results/covid_pivot --out results/covid_pivot_again
```
"""


def problems(text: str) -> list[str]:
    return check_page(ROOT, commands_in(ROOT, text, "page.md"))


def test_every_quoted_command_in_the_docs_parses_and_its_files_exist():
    assert check_all(ROOT) == []


def test_the_old_tour_second_run_into_the_demo_folder_is_caught():
    found = problems(OLD_TOUR)
    assert len(found) == 1, found
    assert "page.md:6:" in found[0] and "would be refused" in found[0]
    assert "results/covid_pivot" in found[0] and "make demo" in found[0]


def test_the_same_run_with_overwrite_or_a_new_out_passes():
    assert problems(OLD_TOUR.replace("run scenarios/covid_pivot.yaml\n",
                                     "run scenarios/covid_pivot.yaml --overwrite\n")) == []
    assert problems(OLD_TOUR.replace("run scenarios/covid_pivot.yaml\n",
                                     "run scenarios/covid_pivot.yaml --out results/b\n")) == []


def test_unknown_commands_options_bad_values_and_missing_files_are_caught():
    text = ("```\ntrustsim runn scenarios/base.yaml\n"
            "trustsim run scenarios/base.yaml --replicas 3\n"
            "trustsim run scenarios/base.yaml --weeks 0\n"
            "trustsim sweep experiments/no_such_experiment.yaml\n"
            "trustsim validate scenarios/*.yml\n```\n")
    found = problems(text)
    assert [p.split(":")[1] for p in found] == ["2", "3", "4", "5", "6"], found
    assert "runn" in found[0] and "--replicas" in found[1] and "--weeks" in found[2]
    assert "does not exist" in found[3] and "does not exist" in found[4]


def test_a_results_folder_read_before_any_command_writes_it_is_caught():
    text = ("```\ntrustsim analyze results/sweeps/co_creation_wins\n"
            "trustsim sweep experiments/co_creation_wins.yaml\n"
            "trustsim discover results/sweeps/co_creation_wins\n```\n")
    found = problems(text)
    assert len(found) == 1 and "page.md:2:" in found[0] and "no command above" in found[0]


def test_lines_outside_code_blocks_and_quoted_error_messages_are_not_commands():
    text = ("trustsim runn in prose is not checked\n\n"
            "```\ntrustsim run: Invalid value for '--weeks': expected >= 1\n```\n")
    assert commands_in(ROOT, text, "page.md") == []
