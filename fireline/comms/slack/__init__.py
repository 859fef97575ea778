"""The Slack app: slash commands, buttons, a channel per incident with its
header kept current, and Slack messages added to the timeline.

Slack wants an answer within three seconds: every request is verified,
answered at once, and its work queued for the jobs worker.
"""
