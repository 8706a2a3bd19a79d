"""The student app run as a browser seat on the administrator's laptop.

The room server's bridge (`room_server/seats/`) starts one process per browser seat. Each
process reads one JSON line of settings on its standard input (the seat's state folder, the
room's loopback address, the relay header), then runs the ordinary student app with Textual's
web driver: framed packets on stdin/stdout, which the bridge carries to and from the browser.

On Linux the processes are forked from `forkserver`, which imported Textual and the student
app once; elsewhere they are spawned ahead of need (a warm pool). Both hand the bridge a
process that has already imported everything and is only waiting for its settings line.
"""
