"""Sending invitations: email (file or SMTP) and SMS (file or a Twilio-compatible gateway) backends."""
