-- Rows of one version-5 run (fleetsim replay of three CSV jobs on 8 A100s), as written.
INSERT INTO invocations VALUES(1,'fleetsim replay v5small.csv --fleet A100-SXM4-80GB:8 --db v5.db','0.1.0','2026-11-28T07:27:25Z',NULL);
INSERT INTO job_sources VALUES(1,1,'history',NULL);
INSERT INTO models VALUES(1,'-');
INSERT INTO run_histories VALUES(1,'/tmp/v5small.csv','csv','847dff8cb48b32da0b97f15c7b90e96a9e5e4cf86d629ac0a8f4ffeca20bd653',3,3,0,0,0,0,1.0);
INSERT INTO run_jobs VALUES(1,0,1,1,1,4,0.0,0.0,0.0,100.0,0,0,0,0,0,NULL,0.0,'a','vision');
INSERT INTO run_jobs VALUES(1,1,1,2,1,8,0.0,10.0,100.0,150.0,0,0,0,0,0,NULL,0.0,'b','nlp');
INSERT INTO run_jobs VALUES(1,2,1,3,1,4,0.0,20.0,150.0,180.0,0,0,0,0,0,NULL,0.0,'c','vision');
INSERT INTO run_prices VALUES(1,0,'A100-SXM4-80GB',1,8,1,'cloud','on-demand',1.8899999999999999023,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO runs VALUES(1,1,'A100-SXM4-80GB x 8','A100-SXM4-80GB',8,1,'ok','2026-11-28T07:27:25Z',0.00050276200000000002224,'0.1.0',86400.0,3,3,0,0,73.333333333333328594,122.0,133.3333333333333428,156.0,0.001331018518518518488,180.0,0.25555555555555553581,362.87999999999999544,6,1,0,0,0.0,362.87999999999999544,0.0,0.0,0.0,0.0,NULL,0.0,362.39699999999999135,120.95999999999999375,NULL);
INSERT INTO scenarios VALUES(1,'replay',replace('name = "replay";\nseed = 1;\nhorizon_days = 1;\ntrain_model = "first_order";\nscheduler = "fifo";\nfleets = (\n  { name = "A100-SXM4-80GB x 8"; gpu = "A100-SXM4-80GB"; nodes = 1; }\n);\ntraining = { history = { file = "/tmp/v5small.csv"; format = "csv"; skip_bad_rows = false; scale = 1; }; };\n','\n',char(10)),'9f8a62975fac0ec2f376008617348a1f62cf24e60dd4bd4d9817cb290a561805','2026-11-28T07:27:25Z');
INSERT INTO series VALUES(1,0.0,8,0.010648148148148147904,0,0,8.0,0.0,0.0,7.9893518518518522597,2.0393608940972223209,362.87999999999999544,362.87999999999999544,0.0,0.0,0.0,0.0,362.39700000000004819);
PRAGMA user_version = 5;
