from core.errors import Conflict, NotFound


class PodNotFound(NotFound):
    code = "pod-not-found"
    title = "No pod"


class DuplicateCredential(Conflict):
    code = "duplicate-credential"
    title = "This pod already holds a credential with that id"
