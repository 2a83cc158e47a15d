#!/usr/bin/env bash
# docs.sh BIN REPO — the documentation's shell examples run as written.
#
# Every ```sh block of README.md and docs/*.md, and every `$ ` line of a
# plain ``` block (a transcript: the lines under it are its expected
# output, stdout then stderr), is run with bash, one command at a time
# (continuation lines and multi-line quotes joined), in a scratch folder per
# markdown file, in the file's order (a later example may use what an
# earlier one wrote), with BIN on PATH as `wrpnsim`.  A command fails the
# test when its exit status is not 0 (or the one a marker expects), when a
# transcript's output differs, or after 300 s; the failure names the
# file:line of the example and shows its stderr.  Every `wrpnsim CMD --opt`
# of every example, run or not, must be an option `wrpnsim CMD --help`
# lists.
#
# Markers: HTML comment lines directly above a block's opening fence (not
# shown on the rendered page; several may stack):
#   <!-- docs-test: skip (REASON) -->   not run (Slurm, ssh, installing
#       packages, hours of training): checked with `bash -n` and for option
#       names only.
#   <!-- docs-test: add CMD --opt V... -->   gives every `wrpnsim CMD` of
#       the block each of these options it does not already have (inserted
#       after `wrpnsim CMD`): small `--limit`s for commands that would train
#       or run the executor over the whole data set for minutes.
#   <!-- docs-test: replace TEXT => TEXT -->   runs the block with TEXT
#       replaced (e.g. a long training schedule by a short one); TEXT must
#       occur in the block.
#   <!-- docs-test: setup COMMAND -->   runs COMMAND in the scratch folder
#       first (state an example assumes, e.g. a database of an example that
#       the page shows later).
#   <!-- docs-test: exit N -->   the block's commands exit with status N.
# A marker that is not directly above a block, or that changes nothing, is
# an error.
#
# The scratch folder links the repository's arch/ docs/ scripts/ sweep/
# tests/ workloads/ (paths like sweep/examples/x.yaml resolve) and holds
# the inputs the examples name as placeholders:
#   model.npz            `wrpnsim weights --net fmnist-cnn --seed 1`
#   images.npy           one random 3x224x224 uint8 image (seed 1)
#   scale.cfg layers.csv tests/data/scalesim/ (SCALE-Sim's 32x32 array, AlexNet conv1)
#   bad.yaml             tests/bad/workloads/kernel-too-large.yaml
#   my-gated-design.yaml arch/presets/eyeriss-like.yaml (zero gating)
#   SPEC.yaml            tests/data/sweep-small.yaml (144 points)
set -u
bin=$(realpath "$1")
repo=$(realpath "$2")
exec /usr/bin/python3 - "$bin" "$repo" <<'PY'
import os, re, shlex, shutil, struct, subprocess, sys, tempfile, time, random

binary, repo = sys.argv[1], sys.argv[2]
TIMEOUT = 300
MARK = re.compile(r'^<!--\s*docs-test:\s*(.*?)\s*-->\s*$')
SHELL_LANGS = {'sh', 'bash', 'shell'}
problems = []      # (where, message) of every failure
t_start = time.time()


def fail(where, msg):
    problems.append((where, msg))
    print(f'FAIL {where}: {msg}', flush=True)


def indent(text, n=40):
    lines = text.rstrip('\n').split('\n')
    if len(lines) > n:
        lines = [f'... ({len(lines) - n} lines above)'] + lines[-n:]
    return '\n'.join('    | ' + l for l in lines)


def complete(text):
    """True when `text` is a whole shell command (quotes closed)."""
    return subprocess.run(['bash', '-n', '-c', text], capture_output=True).returncode == 0


def parse(path, rel):
    """The markdown file's runnable blocks: dicts with kind 'sh' or
    'transcript', the fence's line, the content lines and the markers."""
    blocks, pending, cur = [], [], None
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    for i, line in enumerate(lines, 1):
        if cur is not None:
            if line.strip().startswith('```'):
                blocks.append(cur)
                cur = None
            else:
                cur['lines'].append((i, line))
            continue
        m = MARK.match(line.strip())
        if m:
            pending.append((i, m.group(1)))
            continue
        if line.strip().startswith('```'):
            lang = line.strip()[3:].strip()
            cur = {'file': rel, 'line': i, 'lang': lang, 'lines': [], 'markers': pending}
            pending = []
            continue
        for ln, _ in pending:
            fail(f'{rel}:{ln}', 'docs-test marker not directly above a code block')
        pending = []
    runnable = []
    for b in blocks:
        if b['lang'] in SHELL_LANGS:
            b['kind'] = 'sh'
        elif b['lang'] == '' and any(t.startswith('$ ') for _, t in b['lines']):
            b['kind'] = 'transcript'
        else:
            for ln, _ in b['markers']:
                fail(f'{rel}:{ln}', f"docs-test marker above a ```{b['lang']} block, which is not run")
            continue
        runnable.append(b)
    return runnable


def split_sh(b):
    """The block's commands as (line, text): comment and blank lines
    between commands dropped, continuation lines and open quotes joined."""
    cmds, buf, start = [], [], None
    for ln, t in b['lines']:
        if not buf and (not t.strip() or t.lstrip().startswith('#')):
            continue
        if not buf:
            start = ln
        buf.append(t)
        if t.rstrip().endswith('\\'):
            continue
        text = '\n'.join(buf)
        if complete(text):
            cmds.append({'line': start, 'text': text})
            buf = []
    if buf:
        fail(f"{b['file']}:{start}", 'incomplete shell command:\n' + indent('\n'.join(buf)))
    return cmds


def split_transcript(b):
    cmds = []
    for ln, t in b['lines']:
        if t.startswith('$ '):
            cmds.append({'line': ln, 'text': t[2:], 'expect': []})
        elif cmds:
            cmds[-1]['expect'].append(t.rstrip())
    return cmds


def opt_groups(words):
    """['--a', '1', '--b'] -> [('--a', ['--a', '1']), ('--b', ['--b'])]"""
    groups = []
    for w in words:
        if w.startswith('--') or not groups:
            groups.append((w, [w]))
        else:
            groups[-1][1].append(w)
    return groups


def apply_markers(b, cmds):
    """Applies add/replace markers to the commands; returns the block's
    settings (skip reason, expected exit, setup commands)."""
    s = {'skip': None, 'exit': 0, 'setup': []}
    for ln, m in b['markers']:
        where = f"{b['file']}:{ln}"
        if (r := re.fullmatch(r'skip \((.+)\)', m)):
            s['skip'] = r.group(1)
        elif (r := re.fullmatch(r'exit (\d+)', m)):
            s['exit'] = int(r.group(1))
        elif (r := re.fullmatch(r'setup (.+)', m)):
            s['setup'].append((ln, r.group(1)))
        elif (r := re.fullmatch(r'replace (.+?) => (.+)', m)):
            old, new = r.group(1), r.group(2)
            hits = 0
            for c in cmds:
                hits += c['text'].count(old)
                c['text'] = c['text'].replace(old, new)
            if not hits:
                fail(where, f"replace: '{old}' is not in the block")
        elif (r := re.fullmatch(r'add (\S+) (--.+)', m)):
            sub, groups = r.group(1), opt_groups(shlex.split(r.group(2)))
            pat = re.compile(r'(?<![\w/.-])wrpnsim\s+' + re.escape(sub) + r'(?![\w-])')
            changed = 0
            for c in cmds:
                if not pat.search(c['text']):
                    continue
                have = set(shlex.split(c['text'], comments=True))
                extra = [w for opt, ws in groups if opt not in have for w in ws]
                if extra:
                    ins = ' '.join(shlex.quote(w) for w in extra)
                    c['text'] = pat.sub(lambda mm: mm.group(0) + ' ' + ins, c['text'])
                    changed += 1
            if not changed:
                fail(where, f'add: no `wrpnsim {sub}` of the block lacks {r.group(2)}')
        else:
            fail(where, f"unknown docs-test marker '{m}'")
    return s


help_cache = {}


def help_options(sub):
    if sub not in help_cache:
        args = [binary] + ([sub] if sub else []) + ['--help']
        p = subprocess.run(args, capture_output=True, text=True)
        help_cache[sub] = (set(re.findall(r'--[a-z][a-z0-9-]*', p.stdout + p.stderr))
                           if p.returncode == 0 else None)
    return help_cache[sub]


def check_options(where, text):
    """Every `wrpnsim CMD --opt` in the command is in `wrpnsim CMD --help`."""
    try:
        lex = shlex.shlex(text, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        toks = list(lex)
    except ValueError as e:
        fail(where, f'cannot split the command ({e})')
        return
    i = 0
    while i < len(toks):
        if os.path.basename(toks[i]) != 'wrpnsim':
            i += 1
            continue
        i += 1
        sub = None
        if i < len(toks) and not toks[i].startswith('-') and toks[i][0].isalpha():
            sub = toks[i]
            i += 1
        known = help_options(sub)
        name = f"wrpnsim {sub}" if sub else 'wrpnsim'
        if known is None:
            fail(where, f'`{name} --help` fails: {sub} is not a command')
        while i < len(toks) and not all(ch in '();<>|&' for ch in toks[i]):
            opt = toks[i].split('=', 1)[0]
            if known is not None and opt.startswith('--') and opt not in known:
                fail(where, f'{name}: option {opt} is not listed by `{name} --help`')
            i += 1


def prepare(d):
    for n in ['arch', 'docs', 'scripts', 'sweep', 'tests', 'workloads']:
        os.symlink(os.path.join(repo, n), os.path.join(d, n))
    os.mkdir(os.path.join(d, 'bin'))
    os.symlink(binary, os.path.join(d, 'bin', 'wrpnsim'))
    subprocess.run([binary, 'weights', '--net', 'fmnist-cnn', '--seed', '1', '--out',
                    os.path.join(d, 'model.npz')], check=True, capture_output=True)
    hdr = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 3, 224, 224), }"
    hdr += ' ' * (63 - (10 + len(hdr)) % 64) + '\n'
    rnd = random.Random(1)
    with open(os.path.join(d, 'images.npy'), 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode())
        f.write(bytes(rnd.getrandbits(8) for _ in range(3 * 224 * 224)))
    for src, dst in [('tests/data/scalesim/scale_32x32_ws.cfg', 'scale.cfg'),
                     ('tests/data/scalesim/alexnet_conv1.csv', 'layers.csv'),
                     ('tests/bad/workloads/kernel-too-large.yaml', 'bad.yaml'),
                     ('arch/presets/eyeriss-like.yaml', 'my-gated-design.yaml'),
                     ('tests/data/sweep-small.yaml', 'SPEC.yaml')]:
        shutil.copy(os.path.join(repo, src), os.path.join(d, dst))


def run(d, text):
    env = dict(os.environ, PATH=os.path.join(d, 'bin') + ':' + os.environ['PATH'])
    t0 = time.time()
    try:
        p = subprocess.run(['bash', '-c', 'set -o pipefail\n' + text], cwd=d, env=env,
                           capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr, time.time() - t0
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors='replace') if isinstance(e.stderr, bytes) else (e.stderr or '')
        return None, '', err, time.time() - t0


files = ['README.md'] + sorted(os.path.join('docs', f)
                               for f in os.listdir(os.path.join(repo, 'docs')) if f.endswith('.md'))
scratch = tempfile.mkdtemp(prefix='wrpnsim-docs-')
n_run = n_checked = 0
skipped = []
slow = []
try:
    for rel in files:
        blocks = parse(os.path.join(repo, rel), rel)
        if not blocks:
            continue
        d = os.path.join(scratch, rel.replace('/', '_'))
        os.mkdir(d)
        prepare(d)
        t_file = time.time()
        for b in blocks:
            cmds = split_sh(b) if b['kind'] == 'sh' else split_transcript(b)
            s = apply_markers(b, cmds)
            for c in cmds:
                check_options(f"{rel}:{c['line']}", c['text'])
            if s['skip']:
                text = '\n'.join(t for _, t in b['lines'])
                p = subprocess.run(['bash', '-n', '-c', text], capture_output=True, text=True)
                if p.returncode:
                    fail(f"{rel}:{b['line']}", 'bash -n:\n' + indent(p.stderr))
                n_checked += len(cmds)
                skipped.append(f"{rel}:{b['line']} ({s['skip']})")
                continue
            for ln, setup in s['setup']:
                rc, out, err, _ = run(d, setup)
                if rc != 0:
                    fail(f'{rel}:{ln}', f'setup failed (exit {rc}):\n    $ {setup}\n' + indent(err))
            for c in cmds:
                where = f"{rel}:{c['line']}"
                rc, out, err, secs = run(d, c['text'])
                n_run += 1
                if secs > 5:
                    slow.append(f'{where} {secs:.0f}s')
                shown = '    $ ' + c['text'].replace('\n', '\n      ')
                if rc is None:
                    fail(where, f'timed out after {TIMEOUT} s:\n{shown}\n  stderr:\n' + indent(err))
                elif rc != s['exit']:
                    fail(where, f"exit {rc} (expected {s['exit']}):\n{shown}\n  stderr:\n" + indent(err))
                elif 'expect' in c:
                    got = [l.rstrip() for l in (out + err).rstrip('\n').split('\n')]
                    want = c['expect']
                    while want and not want[-1]:
                        want = want[:-1]
                    if got != want:
                        fail(where, f'output differs from the page:\n{shown}\n  expected:\n'
                             + indent('\n'.join(want)) + '\n  got:\n' + indent('\n'.join(got)))
        print(f'{rel}: {time.time() - t_file:.0f} s', flush=True)
finally:
    shutil.rmtree(scratch, ignore_errors=True)

print(f'checked only (syntax, option names): {len(skipped)} blocks')
for s in skipped:
    print(f'  {s}')
if slow:
    print('slow examples: ' + ', '.join(slow))
print(f'{n_run} examples run, {n_checked} checked only, {len(problems)} failures, '
      f'{time.time() - t_start:.0f} s')
if n_run == 0:
    print('FAIL: no example found')
    sys.exit(1)
if problems:
    print('failed:')
    for where, msg in problems:
        print(f'  {where}: {msg.splitlines()[0]}')
sys.exit(1 if problems else 0)
PY
