"""An upload handler that stops writing a file to disk once it is over MAX_UPLOAD_MB.

Django writes a large upload to a temporary file before any form sees it. This handler keeps
counting the bytes but stops storing them past the limit, so a huge upload cannot fill the
disk; the file's `size` stays the real total, and `inspect_upload()` refuses it by size.
"""

from django.core.files.uploadhandler import TemporaryFileUploadHandler

from .validators import max_upload_bytes


class SizeLimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > max_upload_bytes():
            self.file.truncate(0)  # refused anyway: keep nothing of it
            return None
        return super().receive_data_chunk(raw_data, start)
