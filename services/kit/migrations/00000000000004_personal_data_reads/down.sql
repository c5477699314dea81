DROP TABLE kit_personal_data_reads;
