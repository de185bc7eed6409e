"""Imaging from the patient's disc: read safely, matched to the case, kept in Orthanc.

Import from the modules themselves (`requests.imaging.services`, `.archive`, `.dicom`,
`.matching`, `.orthanc`, `.previews`, `.tasks`): `requests.models` imports this package's
models, so the package itself must not import anything that imports `requests.models`.
"""
