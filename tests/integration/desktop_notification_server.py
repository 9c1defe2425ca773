"""A recording org.freedesktop.Notifications server for test_desktop_notify.py (Desktop
Notifications Specification 1.2), on GLib's GDBus: ``python3 desktop_notification_server.py
RECORD CAPABILITIES PRESS``. Each Notify call is appended to RECORD as one JSON line; when a
notification offers the action PRESS, the server invokes it 0.3 s later, as a user's click would.
Prints "ready" once it owns the name."""

import json
import sys

INTERFACE = """
<node><interface name="org.freedesktop.Notifications">
  <method name="GetCapabilities"><arg type="as" direction="out"/></method>
  <method name="Notify">
    <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
    <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
    <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
    <arg type="u" direction="out"/>
  </method>
  <method name="CloseNotification"><arg type="u" direction="in"/></method>
  <method name="GetServerInformation">
    <arg type="s" direction="out"/><arg type="s" direction="out"/>
    <arg type="s" direction="out"/><arg type="s" direction="out"/>
  </method>
  <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
  <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
</interface></node>
"""


def serve(record: str, capabilities: str, press: str) -> None:
    """The notification server: ``python3 test_desktop_notify.py RECORD CAPS PRESS``."""
    from gi.repository import Gio, GLib

    node = Gio.DBusNodeInfo.new_for_xml(INTERFACE)
    counter = iter(range(1, 1 << 31))

    def call(conn, sender, path, iface, method, params, invocation):
        if method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", ([c for c in capabilities.split(",") if c],)))
        elif method == "Notify":
            app, _, icon, summary, body, actions, hints, _ = params.unpack()
            number = next(counter)
            with open(record, "a", encoding="utf-8") as f:
                f.write(json.dumps({"id": number, "app": app, "icon": icon, "summary": summary,
                                    "body": body, "actions": actions, "hints": hints}) + "\n")
            invocation.return_value(GLib.Variant("(u)", (number,)))
            if press and press in actions:
                GLib.timeout_add(300, lambda: conn.emit_signal(
                    None, path, iface, "ActionInvoked", GLib.Variant("(us)", (number, press))) and False)
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("recorder", "test", "1", "1.2")))
        else:
            invocation.return_value(None)

    def acquired(conn, name):
        conn.register_object("/org/freedesktop/Notifications", node.interfaces[0], call)

    Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications",
                     Gio.BusNameOwnerFlags.NONE, acquired, lambda *a: print("ready", flush=True), None)
    GLib.MainLoop().run()


if __name__ == "__main__":
    serve(*sys.argv[1:4])
