#!/usr/bin/env python3
"""Checks the documentation against the program: every option `gan_dist --help` lists appears in
docs/configuration.md, every relative link in README.md and docs/*.md resolves (file and, when
given, heading), every launch script with a #! line is executable, every table of speeds names the
CPU it was measured on, no section is referred to by its quoted name instead of a link, README.md's
count of shipped configurations, its list of programs and its layout match the tree (and the
architecture page names every folder of src/), no source file passes 450 lines, and README.md stays
a front door (at most 250 lines).

usage: check_docs.py GAN_DIST_BINARY REPOSITORY_ROOT"""
import os
import pathlib
import re
import subprocess
import sys

SOURCE_MAX_LINES = 450
README_MAX_LINES = 250

# A table that names one of these gives speeds, which belong to one CPU kind: a line "CPU: ..."
# must stand in the lines just above it (its paragraph or the table's caption).
SPEED_WORDS = re.compile(r"\d s\b|\(s\)|\d ?ms\b|\bms\b|µs|\bus\b|samples/s|GB/s|GFLOP|speed-up|efficiency|busbw|ms/step")
CPU_LINE_DISTANCE = 25


def speed_tables_without_cpu(page):
    """Line numbers of speed tables in `page` with no "CPU:" in the lines above them."""
    lines = page.read_text().splitlines()
    missing = []
    for number, line in enumerate(lines):
        is_header = (line.startswith("|") and number + 1 < len(lines) and re.match(r"^\|[-| :]+\|$", lines[number + 1])
                     and not (number > 0 and lines[number - 1].startswith("|")))
        rows = []
        for row in lines[number:]:
            if not row.startswith("|"):
                break
            rows.append(row)
        if is_header and SPEED_WORDS.search("\n".join(rows)):
            above = lines[max(0, number - CPU_LINE_DISTANCE):number]
            if not any("CPU:" in text for text in above):
                missing.append(number + 1)
    return missing


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path):
    return {slug(line.lstrip("#")) for line in path.read_text().splitlines() if line.startswith("#")}


def main():
    binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
    problems = []

    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
    # Boost lists each option on a line of its own: "  --train.batch_size arg (=64)  ...".
    options = sorted(set(re.findall(r"^\s+(--[a-z_]+(?:\.[a-z_0-9]+)?)", help_text, re.MULTILINE)) - {"--help"})
    if len(options) < 40:
        problems.append(f"gan_dist --help lists only {len(options)} options: is it the right binary?")
    reference = (root / "docs" / "configuration.md").read_text()
    for option in options:
        if f"`{option}`" not in reference:
            problems.append(f"docs/configuration.md: option {option} (from gan_dist --help) is not documented")

    # Every environment variable the programs read (the table --help prints) is documented, and
    # src/ reads the environment only through that table (common/environment.cpp).
    variables_said = help_text.partition("Environment variables read:")[2]
    variables = re.findall(r"^  ([A-Z][A-Z0-9_]+)$", variables_said, re.MULTILINE)
    if len(variables) < 5:
        problems.append(f"gan_dist --help lists only {len(variables)} environment variables")
    for variable in variables:
        if f"`{variable}`" not in reference:
            problems.append(f"docs/configuration.md: environment variable {variable} (from gan_dist --help) is not documented")
    for source in sorted((root / "src").rglob("*.cpp")):
        if source.name != "environment.cpp" and re.search(r"\bgetenv\s*\(", source.read_text()):
            problems.append(f"{source.relative_to(root)}: reads the environment itself; go through "
                            "common/environment.h's table")

    pages = [root / "README.md"] + sorted((root / "docs").rglob("*.md"))
    for page in pages:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for target in re.findall(r"\]\(([^)\s]+)\)", line):
                if re.match(r"[a-z]+:", target):
                    continue  # http:, https:, mailto:
                file_part, _, anchor = target.partition("#")
                destination = (page.parent / file_part).resolve() if file_part else page
                where = f"{page.relative_to(root)}:{number}"
                if not destination.exists():
                    problems.append(f"{where}: link to {target}: {file_part} does not exist")
                elif anchor and destination.suffix == ".md" and anchor not in anchors_of(destination):
                    problems.append(f"{where}: link to {target}: no heading '#{anchor}' in {file_part or page.name}")

    # A cross-reference is a link: a quoted section name ("see \"Sending fewer bytes\"") cannot be
    # checked and breaks silently when the heading changes. Code blocks are left alone.
    headings = set()
    for page in pages:
        for line in page.read_text().splitlines():
            if line.startswith("#"):
                text = line.lstrip("#").strip().replace("`", "").lower()
                headings.update({text, text.split(":")[0].strip(), re.sub(r"\s*\(.*\)$", "", text)})
    for page in pages:
        in_code = False
        for number, line in enumerate(page.read_text().splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            for quoted in re.findall(r'"([^"]{3,80})"', re.sub(r"`[^`]*`", "", line)):
                if quoted.strip().lower() in headings:
                    problems.append(f"{page.relative_to(root)}:{number}: \"{quoted}\" names a section: make it a link")

    for page in pages:
        for number in speed_tables_without_cpu(page):
            problems.append(f"{page.relative_to(root)}:{number}: a table of speeds with no \"CPU: ...\" line above it "
                            "naming the CPU it was measured on")

    # The docs run launch scripts directly (launch/elastic.sh ...): each with a #! line must be
    # executable, as a fresh clone checks it out.
    for script in sorted((root / "launch").rglob("*")):
        if script.is_file() and script.read_bytes()[:2] == b"#!" and not os.access(script, os.X_OK):
            problems.append(f"{script.relative_to(root)}: has a #! line but is not executable (git mode 100644)")

    # The README's counts and lists follow the tree: the shipped configurations, and the programs
    # (one src/apps/gan_*_main.cpp each) on its "Executables land in build/" line.
    readme = (root / "README.md").read_text()
    configs = sorted((root / "configs").glob("*.ini"))
    said = re.search(r"(\w+) configurations ship in `configs/`", readme)
    numbers = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
               "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
    if not said:
        problems.append("README.md: no \"N configurations ship in `configs/`\" sentence")
    elif numbers.get(said.group(1).lower(), int(said.group(1)) if said.group(1).isdigit() else -1) != len(configs):
        problems.append(f"README.md: says \"{said.group(1)} configurations ship\", configs/ holds {len(configs)}")
    executables = re.search(r"Executables land in `build/`:(.*?)\.", readme, re.S)
    for main_file in sorted((root / "src" / "apps").glob("gan_*_main.cpp")):
        program = main_file.name[: -len("_main.cpp")]
        if not executables or f"`{program}`" not in executables.group(1):
            problems.append(f"README.md: the program {program} (src/apps/{main_file.name}) is not on the "
                            "\"Executables land in `build/`\" line")

    # Every folder of src/ (one library each, format/ subfolders included) is on the README's
    # layout and on the architecture page's folder list.
    architecture = (root / "docs" / "architecture.md").read_text()
    for folder in sorted(p for p in (root / "src").glob("*") if p.is_dir()):
        name = f"src/{folder.name}/"
        if name not in readme:
            problems.append(f"README.md: the layout does not name {name}")
        if name not in architecture:
            problems.append(f"docs/architecture.md: the folder list does not name {name}")

    # Dependencies point one way: a folder includes only folders on lower floors (the layers of
    # docs/architecture.md), and a torch-free subfolder (checkpoint/format, interop/format) nothing
    # of the folder around it.
    floors = {"common": 0, "comm": 1, "data": 1, "monitoring": 1, "process": 1,
              "models": 2, "datasets": 2, "parallel": 2, "stragglers": 2, "report": 2, "resilience": 2,
              "train": 3, "eval": 3, "render": 3, "recording": 4, "checkpoint": 4, "interop": 5, "run": 6,
              "bench": 7, "apps": 8}
    for source in sorted((root / "src").rglob("*")):
        if source.suffix not in (".cpp", ".h"):
            continue
        parts = source.relative_to(root / "src").parts
        folder = parts[0]
        if folder not in floors:
            problems.append(f"src/{folder}/: not on a floor of check_docs.py's layers (add it, and to the architecture page)")
            continue
        for included in re.findall(r'#include "([a-z_]+(?:/[a-z_]+)*)/[a-z_0-9]+\.h"', source.read_text()):
            top = included.split("/")[0]
            where = f"{source.relative_to(root)} includes {included}/"
            if top == folder:
                if len(parts) > 2 and parts[1] == "format" and included != f"{folder}/format":
                    problems.append(f"{where}: a format/ subfolder uses nothing of the folder around it")
            elif top not in floors or floors[top] >= floors[folder]:
                problems.append(f"{where}: up or across the layers ({folder} is on floor {floors[folder]}, "
                                f"{top} on {floors.get(top)})")

    # Each folder of src/ is its own namespace, gan::<folder> (common's is gan itself), so a name
    # says where it lives.
    for header in sorted((root / "src").rglob("*.h")):
        folder = header.relative_to(root / "src").parts[0]
        expected = "gan" if folder == "common" else f"gan::{folder}"
        for declared in re.findall(r"^namespace (gan[\w:]*) \{", header.read_text(), re.MULTILINE):
            if declared != expected and not declared.startswith(expected + "::"):
                problems.append(f"{header.relative_to(root)}: namespace {declared}, expected {expected} (its folder)")

    # Small modules: no source file of src/ above SOURCE_MAX_LINES (split it by job instead).
    for source in sorted((root / "src").rglob("*")):
        if source.suffix in (".cpp", ".h"):
            lines = len(source.read_text().splitlines())
            if lines > SOURCE_MAX_LINES:
                problems.append(f"{source.relative_to(root)} has {lines} lines; a module keeps to {SOURCE_MAX_LINES} "
                                "(split it by job)")

    readme_lines = len((root / "README.md").read_text().splitlines())
    if readme_lines > README_MAX_LINES:
        problems.append(f"README.md has {readme_lines} lines; the front door keeps to {README_MAX_LINES} "
                        "(move reference material to docs/)")

    for problem in problems:
        print(problem)
    print(f"{len(options)} options, {len(pages)} pages checked: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
