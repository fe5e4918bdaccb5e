from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records operators may look at but never add, change or delete: pod data, consent records."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
