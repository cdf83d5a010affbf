"""Does the work RequestFunction asks for."""


def lambda_handler(event, context):
    return {"ok": True, "received": event}
