-- One database per role: no service reads another's tables.
CREATE DATABASE gateway;
CREATE DATABASE membership;
CREATE DATABASE consultation;
CREATE DATABASE reports;
CREATE DATABASE liaison;
