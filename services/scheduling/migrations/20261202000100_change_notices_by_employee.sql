-- ListMyChangeNotices: an employee's notices, unacknowledged first, newest first.
CREATE INDEX change_notices_by_employee
    ON change_notices (tenant, employee_id, (acknowledge_time IS NOT NULL), create_time DESC, notice_id DESC);
