from django.db import migrations, models


def copy_rendition_rows(apps, schema_editor):
    """Fill the new list from the renditions already made (same shape as
    `Image.refresh_rendition_sources`, which historical models do not have)."""
    Image = apps.get_model("entries", "Image")
    Rendition = apps.get_model("entries", "Rendition")
    rows = (
        Rendition.objects.order_by("image_id", "format", "width")
        .values_list("image_id", "source", "format", "width", "height", "file")
        .iterator()
    )
    lists = {}
    for image_id, source, format, width, height, name in rows:
        lists.setdefault((image_id, source), []).append([format, width, height, name])
    for image in Image.objects.filter(renditions__isnull=False).distinct().iterator():
        renditions = lists.get((image.pk, image.file.name))
        if renditions:
            Image.objects.filter(pk=image.pk).update(
                rendition_sources={"source": image.file.name, "renditions": renditions}
            )


class Migration(migrations.Migration):
    """Images keep the list of their renditions, so pages need no query to show them."""

    dependencies = [
        ("entries", "0005_search_vector_deferral"),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="rendition_sources",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(copy_rendition_rows, migrations.RunPython.noop),
    ]
