#!/usr/bin/env python3
# Abandoned batches (issue 23): the CPU a server spends after clients left.
# Builds, in a temporary folder, a memory of 3,000 units over a 16-word
# vocabulary and a batch of 1,000 segments of 100 of those words (as
# tests/server_timeouts.rs does), times one whole batch, then sends five
# and closes each connection 0.3 s in, and samples the server's CPU time
# (/proc) after the last close.
# usage: python3 scripts/server_abandon.py target/debug/transmem
import json, socket, subprocess, sys, tempfile, time, re, os
T=os.path.abspath(sys.argv[1])
os.chdir(tempfile.mkdtemp())
words="harbour minister council treaty river market winter railway village budget school bridge factory doctor garden letter".split()
with open("u.tsv","w") as f:
    for i in range(3000):
        en=" ".join(words[(i*7+k*(i%5+1))%16] for k in range(12))
        f.write(f"{en} {i}.\tПредложение {i}.\n")
segs=[" ".join(words[(i*3+k*5)%16] for k in range(100)) for i in range(1000)]
open("batch.json","w").write(json.dumps({"from":"en","to":"ru","segments":segs,"threshold":30}))
subprocess.run([T,"--memory","m.sqlite","import","u.tsv","--langs","en,ru"],check=True,capture_output=True)
tok=subprocess.run([T,"--memory","m.sqlite","token","create","--role","read"],check=True,capture_output=True,text=True).stdout.strip()
p=subprocess.Popen([T,"--memory","m.sqlite","serve","--listen","127.0.0.1:0"],stderr=subprocess.PIPE,text=True)
line=p.stderr.readline(); addr=re.search(r"http://(\S+)",line).group(1)
host,port=addr.split(":"); port=int(port)
def cpu():
    f=open(f"/proc/{p.pid}/stat").read().split(")")[1].split()
    return (int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK")
body=open("batch.json","rb").read()
def req(b, close_after=None):
    s=socket.create_connection((host,port))
    s.sendall(f"POST /api/v1/lookup/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\nContent-Type: application/json\r\nContent-Length: {len(b)}\r\nConnection: close\r\n\r\n".encode()+b)
    if close_after is not None:
        time.sleep(close_after); s.close(); return None
    d=b""
    while True:
        c=s.recv(65536)
        if not c: break
        d+=c
    return d
small=b'{"from":"en","to":"ru","segments":["harbour river"]}'
req(small)
t=time.time(); req(body); full=time.time()-t
print(f"one whole batch: {full:.1f} s")
for _ in range(5): req(body, 0.3)
c0=cpu()
t0=time.time(); samples=[]
while time.time()-t0<full+3:
    time.sleep(0.1); samples.append((time.time()-t0, cpu()-c0))
# when did CPU stop growing?
last=max((t for (t,c),(t2,c2) in zip(samples,samples[1:]) if c2-c>0.05), default=0)
print(f"5 batches abandoned 0.3 s in: server CPU after the last close {samples[-1][1]:.2f} s, busy until {last:.2f} s after it")
p.terminate(); p.wait()
