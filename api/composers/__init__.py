"""One answer layout per question intent; ``api.answer`` routes each question to one."""
