"""Clinical reasoning around candidacy: red flags, claudication differential, stenosis grading, coding."""
