"""Counts the multiplies in the kernel functions of an assembly file whose names contain WORD
(PREFIX_k<N>_<WORD>...): vector (vmulps / fmul vN.4s), scalar (mulss / fmul sN) and fused
multiply-adds (vfmadd*, fmla, fmadd)."""
import re
import sys

path, word = sys.argv[1], sys.argv[2]
vec = scalar = fused = 0
inside = False
for line in open(path):
    m = re.match(r"^([A-Za-z_.$][\w.$]*):", line)
    if m:
        name = m.group(1)
        if re.search(r"_k\d+_" + word, name) and not name.startswith("."):
            inside = True
        elif not name.startswith("."):
            inside = False
        continue
    if not inside:
        continue
    op = line.split()
    if not op:
        continue
    ins = op[0]
    if ins in ("vmulps",) or (ins == "fmul" and ".4s" in line):
        vec += 1
    elif ins in ("mulss", "vmulss") or (ins == "fmul" and re.search(r"\bs\d+\b", line)):
        scalar += 1
    elif ins.startswith("vfmadd") or ins.startswith("vfnmadd") or ins in ("fmla", "fmadd"):
        fused += 1
print("vector multiplies: %d" % vec)
print("scalar multiplies: %d" % scalar)
print("fused multiply-adds: %d" % fused)
