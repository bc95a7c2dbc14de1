"""The UI-free heart of VIP Desktop: models, repositories, services and the pipeline.

Nothing here imports Qt, qasync, huey or the outer packages (`app`, `ui`, `tasks`).
"""
