"""Chat rooms an admin sets up for the whole organisation (an #incidents
channel in Slack, a Teams or Mattermost channel, a Discord server…), told of
incidents as they happen."""
