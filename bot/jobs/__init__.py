"""Time-driven work, the scheduler's counterpart of handlers/: the change feed's notifier and the reminder
wake-ups. They ask bot/alerts what to tell whom, render it and hand it to delivery."""
