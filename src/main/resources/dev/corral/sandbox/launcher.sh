# Corral's launcher: the init of every bubblewrap sandbox, run by dash (see Launcher.java for the daemon's side).
# Process creation is slow on some hosts (fork copies page tables), so programs are not forked from here: each
# runs in the foreground of a worker shell, which starts it with vfork. This init only makes workers and relays
# signals. It reads lines from its stdin, a pipe from the daemon that nothing else in the sandbox holds:
#   w N          start worker N: a dash in its own session that writes its pid to $L/N/pid, then runs, one after
#                another, the scripts the daemon writes into the FIFO $L/N/req
#   k PGID SIG   send SIG to the process group PGID (a worker and the program it runs)
# End of input (the daemon is gone) ends the init, and with it the sandbox. The init and the workers start with
# an empty environment and export nothing, so a program sees exactly the environment its request names.
# Arguments: the relays, PORT:SOCKET each, from the sandbox's loopback to the daemon's Unix sockets.
exec 2>&1
unset PWD OLDPWD
PATH=/usr/local/bin:/usr/bin:/bin
L=/run/corral/launch
WORKER='echo $$ >"$0/pid"; trap : TERM INT HUP QUIT USR1 USR2; cd /; while :; do command . "$0/req"; done'
for r in "$@"; do
  socat "TCP-LISTEN:${r%%:*},bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:/run/corral/fwd/${r#*:}" &
done
# Ready means every relay listens (state 0A in /proc/net/tcp).
for r in "$@"; do
  hex=$(printf ':%04X 00000000:0000 0A' "${r%%:*}")
  n=0
  until grep -q "$hex" /proc/net/tcp; do n=$((n + 1)); [ $n -gt 2000 ] && exit 97; sleep 0.005; done
done
# Worker 1 starts before the ready marker, and runs on while the daemon finishes the start, so the first program
# need not wait long for it. setsid -f forks it: started in the background by this shell, it would ignore SIGINT
# and SIGQUIT for good.
setsid -f dash -c "$WORKER" "$L/1" </dev/null
echo corral-sandbox-ready
while read -r op a b; do
  case $op in
    w) setsid -f dash -c "$WORKER" "$L/$a" </dev/null ;;
    k) kill -s "$b" -- "-$a" 2>/dev/null ;;
  esac
done
