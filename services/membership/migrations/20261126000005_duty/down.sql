DROP TABLE check_ins;
DROP TABLE duty_shifts;
