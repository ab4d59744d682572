#!/usr/bin/env python3
"""Issue 27 item 4: an approximate count of the library's public API: `pub` items (fn, struct, enum, trait, const,
static, type, mod, and each name of a `pub use`) in modules reachable publicly from lib.rs.
Methods count when declared `pub fn` inside an impl. `pub(crate)`/`pub(super)` do not count."""
import os,re,sys
src=sys.argv[1] if len(sys.argv)>1 else 'src'
LIB=['config','data','drift','generator','model','monitoring','profile','stats']
item=re.compile(r'^\s*pub\s+(?:unsafe\s+|const\s+(?=fn)|async\s+)*(fn|struct|enum|trait|const|static|type|mod)\s+(\w+)')
use=re.compile(r'^\s*pub\s+use\s+(.*?);',re.S)
count={}; total=0
def modfile(path_parts):
    base=os.path.join(src,*path_parts)
    for cand in (base+'.rs', os.path.join(base,'mod.rs')):
        if os.path.exists(cand): return cand
    return None
def walk(parts, public):
    global total
    f=modfile(parts)
    if not f: return
    text=open(f).read()
    # strip tests modules crudely: cut at '#[cfg(test)]\nmod tests'
    text=re.sub(r'#\[cfg\(test\)\]\s*(#\[path[^\]]*\]\s*)?mod \w+\s*(\{.*|;)', '', text, flags=re.S) if False else text
    n=0
    in_test=False
    for line in text.split('\n'):
        if re.match(r'\s*#\[cfg\(test\)\]',line): in_test=True; continue
        if in_test:
            if re.match(r'\s*(pub\s+)?mod\s+\w+',line): in_test=False; continue
            in_test=False
        m=item.match(line)
        if m and public:
            kind,name=m.groups()
            if kind=='mod': continue
            n+=1
    for m in use.finditer(text):
        if not public: break
        body=m.group(1)
        names=re.findall(r'\b(\w+)\b(?=\s*[,}]|\s*$)',body.split('::',1)[-1]) if '{' in body else [body.split('::')[-1]]
        n+=len([x for x in names if x not in ('self',)])
    count['/'.join(parts)]=n; total+=n
    for m in re.finditer(r'^(\s*)(pub\s+)?mod\s+(\w+)\s*;',text,re.M):
        sub=m.group(3)
        if sub=='tests': continue
        pub=bool(m.group(2)) and public
        # path attribute?
        walk(parts+[sub], pub) if modfile(parts+[sub]) else None
for top in LIB:
    walk([top], True)
# lib.rs re-exports
lib=open(os.path.join(src,'lib.rs')).read()
n=0
for m in use.finditer(lib):
    body=m.group(1)
    if '{' in body:
        n+=len([x for x in re.split(r'[,{}\s]+',body.split('{',1)[1]) if x])
    else: n+=1
count['lib.rs']=n; total+=n
for k,v in sorted(count.items(), key=lambda kv:-kv[1])[:25]: print(f'{v:5} {k}')
print('total', total)
