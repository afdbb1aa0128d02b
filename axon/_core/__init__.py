"""The core: messages, errors, services, instruments, boxes, components and the scheduler."""
