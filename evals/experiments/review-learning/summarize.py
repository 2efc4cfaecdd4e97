"""The compact tables of README.md from the tables curves.py printed into outputs/<set>-<part>.txt.

  python summarize.py [--target-kappa 0.5] [--target-f1 0.8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outputs", type=Path, default=HERE / "outputs")
    parser.add_argument("--target-kappa", type=float, default=0.5)
    parser.add_argument("--target-f1", type=float, default=0.8)
    args = parser.parse_args()
    rows = {}
    for path in sorted(args.outputs.glob("*-*.txt")):
        part = path.stem.rsplit("-", 1)[1]
        n = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# ") and " answers scored" in line:
                n = int(line.split(":")[1].split()[0])
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 7 or not cells[2][:1].isdigit():
                continue
            k = int(cells[2].split()[0])
            row = {"set": cells[0], "method": cells[1], "k": k, "n_answers": n}
            for name, cell in zip(("point_kappa", "f1_2way", "f1_3way", "qwk"), cells[3:]):
                if cell != "-":
                    row[name] = (float(cell.split()[0]),)
            rows[(cells[0], part, cells[1], k)] = row
    for part in ("tune", "sealed"):
        chosen = [r for key, r in rows.items() if key[1] == part]
        if not chosen:
            continue
        sets = list(dict.fromkeys(r["set"] for r in chosen))
        methods = list(dict.fromkeys(r["method"] for r in chosen))
        print(f"\n### {part}: point kappa / 2-way macro-F1 (mean over seeds)\n")
        for s in sets:
            ks = sorted({r["k"] for r in chosen if r["set"] == s})
            print(f"\n{s} (n = {next(r['n_answers'] for r in chosen if r['set'] == s)} answers)\n")
            print("| method | " + " | ".join(f"k={k}" for k in ks) + " |")
            print("|---|" + "---|" * len(ks))
            for m in methods:
                cells = []
                for k in ks:
                    r = rows.get((s, part, m, k))
                    cells.append(f"{r['point_kappa'][0]:.3f} / {r['f1_2way'][0]:.3f}" if r else "-")
                if any(c != "-" for c in cells):
                    print(f"| {m} | " + " | ".join(cells) + " |")
        print(f"\n### {part}: fewest reviews per question reaching point kappa >= {args.target_kappa} / 2-way macro-F1 >= {args.target_f1} (mean; '>k' = not within the k measured)\n")
        print("| set | " + " | ".join(methods) + " |")
        print("|---|" + "---|" * len(methods))
        for s in sets:
            cells = []
            for m in methods:
                got = sorted((k, r) for (s2, p2, m2, k), r in rows.items() if (s2, p2, m2) == (s, part, m))
                if not got:
                    cells.append("-")
                    continue
                reach = [next((k for k, r in got if r[metric][0] >= target), None) for metric, target in (("point_kappa", args.target_kappa), ("f1_2way", args.target_f1))]
                top = got[-1][0]
                cells.append(" / ".join(str(v) if v is not None else f">{top}" for v in reach))
            print(f"| {s} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
