"""The records desk: the facility directory, items linked to it, and how a support task ended."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('requests', '0015_lifecycle'),
    ]

    operations = [
        migrations.AddField(
            model_name='supporttask',
            name='outcome',
            field=models.CharField(blank=True, choices=[('arranged', 'Arranged by us'), ('patient_arranged', 'Patient arranged their own'), ('aid_approved', 'Financial aid approved'), ('aid_not_eligible', 'Not eligible for financial aid'), ('referred', 'Referred to an outside program'), ('interpreter_booked', 'Interpreter booked for the visit'), ('declined', 'Patient declined the help')], default='', max_length=20, verbose_name='outcome'),
        ),
        migrations.CreateModel(
            name='Facility',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, unique=True, verbose_name='name')),
                ('phone', models.CharField(blank=True, max_length=40, verbose_name='records phone')),
                ('fax', models.CharField(blank=True, max_length=40, verbose_name='records fax')),
                ('address', models.TextField(blank=True, max_length=500, verbose_name='address')),
                ('release_notes', models.TextField(blank=True, help_text='How this facility releases records: forms, portal, turnaround, contacts.', max_length=2000, verbose_name='release notes')),
            ],
            options={
                'verbose_name': 'facility',
                'verbose_name_plural': 'facilities',
                'ordering': ['name'],
                'indexes': [models.Index(django.db.models.functions.text.Upper('name'), name='facility_name_upper_idx')],
            },
        ),
        migrations.AddField(
            model_name='recorditem',
            name='facility_ref',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='record_items', to='requests.facility', verbose_name='facility in the directory'),
        ),
    ]
