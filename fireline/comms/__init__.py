"""Communication: the channels that reach people (``comms.channels``) and the
signed one-click links in what they send (``comms.links``)."""
