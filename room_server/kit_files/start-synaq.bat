@echo off
rem Synaq student app, full screen in Windows Terminal where it is installed.
set "APP=%LOCALAPPDATA%\Synaq\student-app\Scripts\student-tui.exe"
where wt >nul 2>nul && (start "" wt -F "%APP%" %* & exit /b 0)
start "" "%APP%" %*
