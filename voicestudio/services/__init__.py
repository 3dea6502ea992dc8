"""Use cases the app and the command line share (import recordings, build a dataset, …).

Plain Python: each long job takes a progress callback and a cancel token, never Qt.
"""
