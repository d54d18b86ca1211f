-- ListOpenShifts: published open shifts by start, however far ahead.
CREATE INDEX shifts_open ON shifts (tenant, start_time, id) WHERE published AND employee_id = '';
