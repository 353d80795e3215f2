"""What a Dockerfile's CMD runs, mapped back to the working copy."""

from __future__ import annotations

import pytest

from ogpu_sim.sources.dockerfile import HandlerEntry, find_dockerfile, handler_entry, read_recipe


def entry_of(tmp_path, dockerfile, files=("main.py",)):
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    recipe = tmp_path / "Dockerfile"
    recipe.write_text(dockerfile)
    return handler_entry(recipe, tmp_path)


def test_copy_dot_dot_with_a_workdir_runs_the_script_from_the_context(tmp_path):
    entry, problem = entry_of(
        tmp_path, 'FROM x\nWORKDIR /app\nCOPY . .\nCMD ["python", "main.py"]\n'
    )
    assert (entry, problem) == (
        HandlerEntry(
            "script", str(tmp_path / "main.py"), tmp_path, 'CMD ["python", "main.py"] of Dockerfile'
        ),
        "",
    )


def test_an_absolute_script_copied_into_a_folder_maps_back(tmp_path):
    dockerfile = 'FROM x\nCOPY handler.py /app/\nCMD ["python3", "-u", "/app/handler.py"]\n'
    entry, _ = entry_of(tmp_path, dockerfile, files=("handler.py",))
    assert (entry.kind, entry.target) == ("script", str(tmp_path / "handler.py"))


def test_a_subfolder_copied_as_the_workdir_is_the_working_directory(tmp_path):
    dockerfile = "FROM x\nWORKDIR /srv\nCOPY src/ /srv/\nCMD python -m service.main\n"
    entry, _ = entry_of(tmp_path, dockerfile, files=("src/service/main.py",))
    assert (entry.kind, entry.target, entry.cwd) == ("module", "service.main", tmp_path / "src")
    assert entry.file == tmp_path / "src" / "service" / "main.py"


def test_entrypoint_and_cmd_combine(tmp_path):
    entry, _ = entry_of(
        tmp_path, 'FROM x\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["python"]\nCMD ["main.py"]\n'
    )
    assert entry.target == str(tmp_path / "main.py")


def test_the_last_stage_counts(tmp_path):
    dockerfile = (
        'FROM x AS build\nCMD ["python", "other.py"]\n'
        "FROM y\nWORKDIR /app\nCOPY --from=build /out /out\nCOPY main.py .\n"
        'CMD ["python", "main.py"]\n'
    )
    entry, _ = entry_of(tmp_path, dockerfile)
    assert entry.target == str(tmp_path / "main.py")


@pytest.mark.parametrize(
    ("dockerfile", "problem"),
    [
        ("FROM x\n", "Dockerfile has no CMD"),
        (
            'FROM x\nCMD ["uvicorn", "app:api"]\n',
            'CMD ["uvicorn", "app:api"] of Dockerfile does not start Python '
            "(python script.py or python -m module)",
        ),
        (
            'FROM x\nWORKDIR /app\nCMD ["python", "gone.py"]\n',
            'CMD ["python", "gone.py"] of Dockerfile runs /app/gone.py, which no COPY of',
        ),
    ],
)
def test_a_cmd_that_cannot_run_outside_docker_says_why(tmp_path, dockerfile, problem):
    entry, reason = entry_of(tmp_path, dockerfile)
    assert entry is None and reason.startswith(problem)


def test_continuations_and_comments_are_read_as_docker_does(tmp_path):
    recipe = tmp_path / "Dockerfile"
    recipe.write_text("FROM x\n# a comment\nWORKDIR \\\n  /app\nCMD python \\\n    main.py\n")
    parsed = read_recipe(recipe)
    assert (parsed.workdir, parsed.command) == ("/app", ("python", "main.py"))


def test_a_lowercase_dockerfile_is_found(tmp_path):
    (tmp_path / "dockerfile").write_text("FROM x\n")
    assert find_dockerfile(tmp_path) == tmp_path / "dockerfile"
